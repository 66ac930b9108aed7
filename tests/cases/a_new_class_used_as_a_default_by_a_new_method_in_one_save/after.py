class MISSING:
    pass


class E(ValueError):
    def __init__(self, msg=MISSING):
        self.msg = msg
