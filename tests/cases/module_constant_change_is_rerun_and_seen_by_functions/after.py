
LIMIT = 20
state = []

def limit():
    return LIMIT
