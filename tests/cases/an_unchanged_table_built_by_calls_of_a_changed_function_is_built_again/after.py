def seg():
    return [1, 2, 3]


table = tuple(seg())
size = len(table)
