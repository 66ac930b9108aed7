from live import f

def call(x):
    return f(x)

held = [f]
