
class K:
    def method(self, x):
        return 1 + x.missing
