def parse(text):
    # split on commas, then trim each field
    parts = text.split(",")
    return [p.strip() for p in parts]


def unrelated():
    return 0
