import typing


@typing.overload
def f(*args: str) -> str: ...


def f(a):
    return a
