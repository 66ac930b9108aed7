class Handler:
    def __call__(self, request):
        return "ok"


def route():
    return Handler
