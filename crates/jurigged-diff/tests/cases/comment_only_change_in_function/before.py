def parse(text):
    # split on commas
    parts = text.split(",")
    return [p.strip() for p in parts]


def unrelated():
    return 0
