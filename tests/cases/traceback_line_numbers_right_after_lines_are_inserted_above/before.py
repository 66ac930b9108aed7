
def fail():
    x = 1
    raise ValueError(x)
