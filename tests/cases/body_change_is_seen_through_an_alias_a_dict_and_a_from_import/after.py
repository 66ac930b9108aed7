
def f(x):
    return x + 100

table = {"f": f}
