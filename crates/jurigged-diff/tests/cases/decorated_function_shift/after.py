import functools


def setup():
    state = {}
    state["ready"] = True
    return state


@functools.cache
def config():
    return setup()


class Service:
    @property
    def name(self):
        return "svc"
