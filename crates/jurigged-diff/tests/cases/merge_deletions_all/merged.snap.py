

def scale(x):
    return x * RATE * 2
