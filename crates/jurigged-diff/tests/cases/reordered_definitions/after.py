def third():
    return 3


def first():
    return 1


def second():
    return 2
