
def old_name():
    return 1

def caller():
    return old_name()
