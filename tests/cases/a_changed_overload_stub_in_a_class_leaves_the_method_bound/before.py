import typing


class C:
    @typing.overload
    def m(self, x: int) -> int: ...

    def m(self, x):
        return x
