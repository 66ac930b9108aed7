import sys

if sys.platform == "win32":
    def clear_command():
        return "cls"
else:
    def clear_command():
        return "clear -x"


def run():
    return clear_command()
