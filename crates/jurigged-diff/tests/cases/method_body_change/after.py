class Counter:
    def __init__(self):
        self.count = 0

    def increment(self):
        self.count += 2
        print("incremented to", self.count)
        return self.count

    def reset(self):
        self.count = 0
