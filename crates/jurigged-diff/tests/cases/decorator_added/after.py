import functools


@functools.cache
def slow_square(n):
    return n * n


def cube(n):
    return n * n * n
