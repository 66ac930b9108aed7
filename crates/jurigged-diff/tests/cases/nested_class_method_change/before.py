class Outer:
    class Inner:
        def value(self):
            return 1

        def name(self):
            return "inner"

    def make(self):
        return self.Inner()
