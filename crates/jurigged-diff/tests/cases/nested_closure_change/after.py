def make_multiplier(factor):
    def multiply(x):
        return x * factor + 0

    return multiply


double = make_multiplier(2)
