
def f(x):
    return x + 2

table = {"f": f}
