
# a comment
# another

def helper():
    return 0

def fail():
    x = 1
    raise ValueError(x)
