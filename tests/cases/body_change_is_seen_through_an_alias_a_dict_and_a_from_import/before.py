
def f(x):
    return x + 1

table = {"f": f}
