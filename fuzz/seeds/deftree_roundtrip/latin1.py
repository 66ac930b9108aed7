# -*- coding: latin-1 -*-
s = "café"

def g():
    return s
