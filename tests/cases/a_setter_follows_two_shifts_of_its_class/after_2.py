def f():
    return 1


# one
# two
class C:
    @property
    def p(self):
        return 1

    @p.setter
    def p(self, value):
        self._p = value
