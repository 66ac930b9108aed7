
class Outer:
    class Inner:
        def value(self):
            return 2

    def make(self):
        return self.Inner()
