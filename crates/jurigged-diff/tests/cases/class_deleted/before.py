class Shape:
    def area(self):
        raise NotImplementedError


class LegacyShape(Shape):
    def area(self):
        return 0


def total_area(shapes):
    return sum(s.area() for s in shapes)
