class Palette:
    # Base colours, as hex strings.
    red = "#f00"  # pure red, no blue or green
    green = "#0f0"

    # Helper methods.
    def names(self):
        return ["red", "green"]
