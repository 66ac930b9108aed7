"""Geometry helpers for rectangles and boxes."""


def area(w, h):
    """Return the area of a w-by-h rectangle."""
    return w * h


class Box:
    """A three-dimensional box."""

    def volume(self):
        return 0
