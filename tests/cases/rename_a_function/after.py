
def new_name():
    return 2

def caller():
    return new_name()
