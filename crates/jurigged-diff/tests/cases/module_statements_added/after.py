import os
import sys

LIMIT = 10
VERBOSE = "-v" in sys.argv


def limit():
    return LIMIT
