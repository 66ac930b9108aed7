class Inventory:
    """Items in stock."""

    def __init__(self):
        self.items = {}

    # Add some of an item.
    def add(self, name, count=1):
        if count <= 0:
            raise ValueError(count)
        self.items[name] = self.items.get(name, 0) + count

    def remove(self, name):
        del self.items[name]

    def total(self):
        return sum(self.items.values())


inventory = Inventory()
