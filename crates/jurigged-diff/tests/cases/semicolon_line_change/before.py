a = 1; b = 2
c = 3


def total():
    return a + b + c
