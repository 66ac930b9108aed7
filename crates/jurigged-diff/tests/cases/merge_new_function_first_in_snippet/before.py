import os


def read_config():
    return os.environ.get("CONFIG", "")


def main():
    return read_config()
