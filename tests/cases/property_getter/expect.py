"""Property getter."""


def check(mod, case):
    box = mod.Box()
    box.size = 3
    prop = vars(mod.Box)["size"]
    case.save()
    assert box.size == 30
    box.size = 4
    assert box._size == 4
    assert vars(mod.Box)["size"] is prop
