square = lambda x: x * x
negate = lambda x: -x


def apply_all(x):
    return negate(square(x))
