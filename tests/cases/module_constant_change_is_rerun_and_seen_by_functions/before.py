
LIMIT = 10
state = []

def limit():
    return LIMIT
