import os

LIMIT = 10


def limit():
    return LIMIT
