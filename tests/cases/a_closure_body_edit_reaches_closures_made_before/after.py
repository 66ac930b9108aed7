def make(k):
    def inner(v):
        return v * k + 1
    return inner


add = make(2)
