import functools


def slow_square(n):
    return n * n


def cube(n):
    return n * n * n
