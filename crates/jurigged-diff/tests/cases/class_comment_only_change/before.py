class Palette:
    # Base colours.
    red = "#f00"  # pure red
    green = "#0f0"

    # Helpers.
    def names(self):
        return ["red", "green"]
