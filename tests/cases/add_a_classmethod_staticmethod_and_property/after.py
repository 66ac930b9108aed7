
class Thing:
    def __init__(self):
        self.x = 3

    @classmethod
    def kind(cls):
        return cls.__name__

    @staticmethod
    def one():
        return 1

    @property
    def double(self):
        return self.x * 2
