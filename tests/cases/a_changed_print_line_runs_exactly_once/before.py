
print("one")
print("two")

def f():
    return 1

print("three")
