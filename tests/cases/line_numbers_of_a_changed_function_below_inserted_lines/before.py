
def fail():
    raise ValueError("old")
