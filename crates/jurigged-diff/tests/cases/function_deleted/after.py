def keep():
    return "kept"


def also_keep():
    return "kept too"
