def f(x):
    return x + 2


def g():
    return 2
