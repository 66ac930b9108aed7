
import functools

def add(a, b):
    return a + b

add_one = functools.partial(add, 1)
