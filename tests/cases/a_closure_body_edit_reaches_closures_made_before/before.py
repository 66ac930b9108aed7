def make(k):
    def inner(v):
        return v * k
    return inner


add = make(2)
