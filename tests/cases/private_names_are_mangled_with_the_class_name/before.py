class C:
    __v = 1

    def m(self):
        return 1
