def seg():
    return [1, 5]


def seg2():
    return [3]


table = tuple(seg() + seg2())
