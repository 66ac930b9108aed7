
class Outer:
    class Inner:
        def value(self):
            return 1

        def double(self):
            return self.value() * 2
