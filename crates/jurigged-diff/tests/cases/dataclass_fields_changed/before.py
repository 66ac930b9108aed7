from dataclasses import dataclass, field


@dataclass
class Order:
    item: str
    quantity: int = 1
    tags: list = field(default_factory=list)

    def total(self, price):
        return price * self.quantity
