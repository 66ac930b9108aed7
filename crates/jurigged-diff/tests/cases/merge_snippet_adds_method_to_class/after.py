class Queue:
    def put(self, item):
        self.items.append(item)

    def put_many(self, items):
        for item in items:
            self.put(item)
