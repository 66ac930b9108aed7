
import functools

def deco(fn):
    @functools.wraps(fn)
    def wrapper(*args):
        return fn(*args)
    return wrapper

NEW_CONSTANT = 1


class K:
    def method(self):
        raise KeyError("m")

@deco
def decorated():
    raise KeyError("d")
