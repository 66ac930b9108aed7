"""Method using super can be updated."""


def check(mod, case):
    child = mod.Child()
    bound = child.greet
    events = case.save()
    assert events == [f"Update {mod.__name__}.Child.greet @L7"]
    assert child.greet() == "CHILD+base"
    assert bound() == "CHILD+base"
