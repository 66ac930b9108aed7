
def make_counter():
    count = 0
    def tick():
        nonlocal count
        count += 1
        return count
    return tick

counter = make_counter()
