x = 1; y = 2
if x:
    def f(): return y
else:
    f = lambda: 0
for i in range(3):
    pass
with open("f") as fh, \
        open("g"):
    z = [i
         for i in fh]
try:
    import os
except ImportError:
    os = None
