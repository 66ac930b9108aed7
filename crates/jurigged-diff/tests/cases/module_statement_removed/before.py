import os
import sys

DEBUG = os.environ.get("DEBUG")
print("loading module")


def debug():
    return DEBUG
