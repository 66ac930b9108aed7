def handler():
    return "first"


handlers = [handler]


def handler():
    return "second"


handlers.append(handler)
