from dataclasses import dataclass


@dataclass(frozen=True)
class Point:
    x: int
    y: int

    def norm(self):
        return abs(self.x) + abs(self.y)
