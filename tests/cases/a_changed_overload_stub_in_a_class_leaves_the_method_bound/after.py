import typing


class C:
    @typing.overload
    def m(self, x: str) -> str: ...

    def m(self, x):
        return x
