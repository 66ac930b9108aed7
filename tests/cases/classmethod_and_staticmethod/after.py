
class Shape:
    @classmethod
    def make(cls):
        return (cls.__name__, 2)

    @staticmethod
    def unit():
        return 2
