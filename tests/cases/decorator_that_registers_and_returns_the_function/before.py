
handlers = {}

def handler(fn):
    handlers[fn.__name__] = fn
    return fn

@handler
def on_event():
    return "old"
