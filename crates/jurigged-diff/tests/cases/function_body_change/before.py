def f(x):
    return x + 1


def g():
    return 2
