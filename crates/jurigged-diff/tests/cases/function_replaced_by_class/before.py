def Handler(request):
    return "ok"


def route():
    return Handler
