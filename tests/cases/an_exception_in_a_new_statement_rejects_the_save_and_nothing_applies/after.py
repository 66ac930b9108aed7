
import sink

raise_here = 1 / 0

def f():
    return 2

sink.log.append("after")
