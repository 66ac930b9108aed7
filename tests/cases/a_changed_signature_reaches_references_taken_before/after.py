def f(x, scale=10):
    return x * scale
