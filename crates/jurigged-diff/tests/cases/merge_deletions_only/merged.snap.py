import math

RATE = 0.5


def scale(x):
    return x * RATE * 2


def clamp(x):
    return max(0, min(1, x))
