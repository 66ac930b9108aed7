def first():
    return 1


def last():
    return 'new'