def helper():
    return 42


class Widget:
    def render(self):
        return "<widget>"


def main():
    return helper()
