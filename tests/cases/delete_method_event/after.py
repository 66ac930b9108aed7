
class Thing:
    def keep(self):
        return 1
