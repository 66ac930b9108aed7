import os


def read_config():
    return os.environ.get("CONFIG", "")


def config_path():
    return os.path.expanduser("~/.config/app")


def main():
    return read_config() or config_path()
