import functools


@functools.lru_cache
def slow(x):
    return x
