
class Thing:
    def keep(self):
        return 1

    def remove(self):
        return 2
