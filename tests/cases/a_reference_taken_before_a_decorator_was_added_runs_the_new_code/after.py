def deco(fn):
    def inner(*a):
        return fn(*a) + 1
    return inner


@deco
def f(x):
    return x
