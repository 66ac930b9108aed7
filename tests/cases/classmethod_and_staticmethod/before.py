
class Shape:
    @classmethod
    def make(cls):
        return (cls.__name__, 1)

    @staticmethod
    def unit():
        return 1
