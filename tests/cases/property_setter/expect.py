"""Property setter."""


def check(mod, case):
    box = mod.Box()
    case.save()
    box.size = 5
    assert box._size == 1005
    assert box.size == 1005
