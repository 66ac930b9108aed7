class Shape:
    sides = 0

    class Meta:
        abstract = True

    @property
    def name(self):
        return type(self).__name__

    @staticmethod
    def make(*args, **kwargs):  # factory
        def inner(x):
            nonlocal args
            return x
        return inner
