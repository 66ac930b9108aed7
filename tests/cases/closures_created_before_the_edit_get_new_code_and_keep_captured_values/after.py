
def make_adder(n):
    def add(x):
        return (x + n) * 1000
    return add

adders = [make_adder(1), make_adder(2)]
