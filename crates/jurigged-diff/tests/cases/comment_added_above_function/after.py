def load(path):
    with open(path) as f:
        return f.read()


# Overwrites the file.
# The caller must hold the lock.
def save(path, text):
    with open(path, "w") as f:
        f.write(text)
