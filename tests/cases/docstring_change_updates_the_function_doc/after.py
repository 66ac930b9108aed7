
def f():
    """New doc."""
    return 1
