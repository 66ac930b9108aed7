
import sink

sink.log.append("first")

def f():
    return 1

def g():
    return "g"

sink.log.append(g())
sink.log.append("last")
