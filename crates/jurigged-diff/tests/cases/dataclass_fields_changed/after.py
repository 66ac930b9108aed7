from dataclasses import dataclass, field


@dataclass
class Order:
    item: str
    quantity: int = 2
    tags: list = field(default_factory=list)
    note: str = ""

    def total(self, price):
        return price * self.quantity
