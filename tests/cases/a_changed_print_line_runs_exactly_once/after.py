
print("one")
print("TWO")

def f():
    return 1

print("three")
