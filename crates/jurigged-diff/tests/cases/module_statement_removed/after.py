import os

DEBUG = os.environ.get("DEBUG")


def debug():
    return DEBUG
