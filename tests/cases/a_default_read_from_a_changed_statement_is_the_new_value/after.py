TABLE = {1: 3}


def f(t=TABLE):
    return t
