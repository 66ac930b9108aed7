import functools


@functools.singledispatch
def g(x):
    return 0


@g.register
def _(x: str):
    return 10


@g.register
def _(x: int):
    return 2
