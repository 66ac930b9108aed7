"""A decorator that returns the function itself after registering it: the registry entry
and the module name are one function, both updated."""


def check(mod, case):
    case.save()
    assert mod.on_event() == "new"
    assert mod.handlers["on_event"]() == "new"
    assert mod.handlers["on_event"] is mod.on_event
