
class Counter:
    def __init__(self, start):
        self.value = start

    def step(self):
        return self.value + 100
