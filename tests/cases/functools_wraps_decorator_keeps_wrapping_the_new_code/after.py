
import functools

calls = []

def logged(fn):
    @functools.wraps(fn)
    def wrapper(*args):
        calls.append(fn.__name__)
        return fn(*args)
    return wrapper

@logged
def f(x):
    return x + 1000
