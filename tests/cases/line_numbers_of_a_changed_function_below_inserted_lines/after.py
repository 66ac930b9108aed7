
X = 1
Y = 2

def fail():
    y = 2
    raise ValueError("new")
