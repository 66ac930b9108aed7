
class Keep:
    pass

class NewName:
    def value(self):
        return 2

class Added(Keep):
    def value(self):
        return NewName().value() + 1
