import functools


def setup():
    return {}


@functools.cache
def config():
    return setup()


class Service:
    @property
    def name(self):
        return "svc"
