square = lambda x: x ** 2
negate = lambda x: -x


def apply_all(x):
    return negate(square(x))
