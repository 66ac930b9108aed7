"""A small program to edit while it runs: `jurigged examples/shapes.py`."""

import math
import time


class Circle:
    def __init__(self, radius):
        self.radius = radius

    def area(self):
        return math.pi * self.radius ** 2


def describe(shape):
    return f"circle of radius {shape.radius}: area {shape.area():.2f}"


if __name__ == "__main__":
    circle = Circle(2)
    for _ in range(20):
        print(describe(circle), flush=True)
        time.sleep(0.5)
