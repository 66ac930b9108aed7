def compute_total(items):
    return sum(item.price for item in items)


def report(items):
    return f"total: {compute_total(items)}"
