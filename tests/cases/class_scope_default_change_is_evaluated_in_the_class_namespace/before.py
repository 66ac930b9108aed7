
class Limits:
    LIMIT = 5
    OTHER = 7

    def get(self, x=LIMIT):
        return x
