
class Scaler:
    def __init__(self, factor):
        self.factor = factor

    def make(self):
        def scale(x):
            return x * self.factor
        return scale
