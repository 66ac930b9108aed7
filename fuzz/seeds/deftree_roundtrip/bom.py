def h(x):
    return x


        # comment deeper than the next statement
class C: pass
