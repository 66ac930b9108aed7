def seg():
    return [1, 2]


table = tuple(seg())
