class Queue:
    def __init__(self):
        self.items = []

    def put(self, item):
        self.items.append(item)

    def put_many(self, items):
        for item in items:
            self.put(item)

    def size(self):
        return len(self.items)
