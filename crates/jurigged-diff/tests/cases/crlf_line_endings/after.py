import math


def hypot(a, b):
    return math.hypot(a, b)


def double(x):
    return 2 * x
