
import functools

made = []

def tag(label):
    made.append(label)
    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(*args):
            return (label, fn(*args))
        return wrapper
    return decorate

@tag("a")
def f():
    return 1

@tag("g")
def g():
    return 2
