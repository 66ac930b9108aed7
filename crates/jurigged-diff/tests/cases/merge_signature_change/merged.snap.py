# Math helpers.


def add(a, b):
    return a + b


# Scaling.
def scale(x, factor=2):
    return x * factor


def negate(x):
    return -x
