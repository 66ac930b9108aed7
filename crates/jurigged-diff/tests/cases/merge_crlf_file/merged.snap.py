import math


def area(r):
    return math.pi * r ** 2


def perimeter(r):
    return 2 * math.pi * r
