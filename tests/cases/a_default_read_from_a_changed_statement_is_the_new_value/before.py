TABLE = {1: 2}


def f(t=TABLE):
    return t
