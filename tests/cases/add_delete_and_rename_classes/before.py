
class Keep:
    pass

class Remove:
    pass

class OldName:
    def value(self):
        return 1
