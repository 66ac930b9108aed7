
import functools

def tag(label):
    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(*args):
            return (label, fn(*args))
        return wrapper
    return decorate

@tag("a")
def f(x):
    return x + 1
