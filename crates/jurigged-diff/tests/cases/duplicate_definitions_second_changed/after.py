def handler():
    return "first"


handlers = [handler]


def handler():
    return "second, improved"


handlers.append(handler)
