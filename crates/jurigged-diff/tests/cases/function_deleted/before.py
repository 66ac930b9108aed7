def keep():
    return "kept"


def obsolete():
    return "going away"


def also_keep():
    return "kept too"
