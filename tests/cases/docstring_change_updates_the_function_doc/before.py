
def f():
    """Old doc."""
    return 1
