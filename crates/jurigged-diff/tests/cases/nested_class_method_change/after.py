class Outer:
    class Inner:
        def value(self):
            return 2

        def name(self):
            return "inner"

    def make(self):
        return self.Inner()
