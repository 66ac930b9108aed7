
import functools

def add(a, b):
    return (a + b) * 10

add_one = functools.partial(add, 1)
