# Math helpers.


def add(a, b):
    return a + b


# Scaling.
def scale(x, factor):
    return x * factor


def negate(x):
    return -x
