class Inventory:
    def add(self, name, count=1):
        if count <= 0:
            raise ValueError(count)
        self.items[name] = self.items.get(name, 0) + count
