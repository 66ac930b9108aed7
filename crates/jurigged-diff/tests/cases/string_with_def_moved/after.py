import os

TEMPLATE = "def not_code(): pass"
key = lambda x: x
