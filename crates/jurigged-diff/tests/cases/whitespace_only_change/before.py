WEIGHTS = [1,2,3]
total = sum( WEIGHTS )


def mean(values):
    return sum(values) / len(values)
