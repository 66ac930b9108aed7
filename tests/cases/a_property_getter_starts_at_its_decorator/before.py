class C:
    @property
    def p(self):
        return 1
