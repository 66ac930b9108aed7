"""Property getter and setter in one save."""


def check(mod, case):
    box = mod.Box()
    events = case.save()
    assert len(events) == 2
    box.size = 5
    assert box._size == 6
    assert box.size == 12
