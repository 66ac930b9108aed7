"""New statements run in file order after new definitions."""


def check(mod, case):
    sink = case.load("sink")
    case.save()
    assert sink.log == ["first", "g", "last"]
