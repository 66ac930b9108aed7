def validate(value):
    if value is None:
        return False
    return True


def store(value):
    return [value]


class Repo:
    def save(self, value):
        return store(value)
