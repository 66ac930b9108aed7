def validate(value):
    return value is not None


def store(value):
    return [value]


class Repo:
    def save(self, value):
        return store(value)
