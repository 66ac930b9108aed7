
import functools

@functools.lru_cache(maxsize=None)
def square(x):
    return x * x
