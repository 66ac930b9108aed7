
class Limits:
    LIMIT = 5

    def get(self, x=LIMIT):
        return x
