"""Method with a closure inside."""


def check(mod, case):
    scale = mod.Scaler(3).make()
    assert scale(2) == 6
    case.save()
    assert scale(2) == 7
