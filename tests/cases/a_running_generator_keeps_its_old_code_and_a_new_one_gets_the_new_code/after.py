
def numbers():
    yield 10
    yield 20
    yield 30
