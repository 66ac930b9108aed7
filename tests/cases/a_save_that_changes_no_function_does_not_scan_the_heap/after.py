
X = 2

def f():
    return X
