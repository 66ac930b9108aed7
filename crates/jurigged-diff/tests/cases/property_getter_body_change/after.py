class User:
    def __init__(self, first, last):
        self.first = first
        self.last = last

    @property
    def full_name(self):
        return f"{self.first} {self.last}".strip()

    @full_name.setter
    def full_name(self, value):
        self.first, self.last = value.split(" ", 1)
