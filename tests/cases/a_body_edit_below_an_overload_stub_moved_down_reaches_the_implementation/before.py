import typing

@typing.overload
def f(*args: int) -> int: ...

def f(a):
    return 19
