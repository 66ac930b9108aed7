
def double(fn):
    def wrapper(*args):
        return fn(*args) * 2
    return wrapper

def f():
    return 21
