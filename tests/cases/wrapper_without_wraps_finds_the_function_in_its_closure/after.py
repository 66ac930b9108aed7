
def times_hundred(fn):
    def wrapper(*args):
        return fn(*args) * 100
    return wrapper

@times_hundred
def f():
    return 7
