a = 1; b = 20
c = 3


def total():
    return a + b + c
