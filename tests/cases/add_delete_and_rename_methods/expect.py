"""Add delete and rename methods."""


def check(mod, case):
    thing = mod.Thing()
    case.save()
    assert not hasattr(thing, "remove")
    assert not hasattr(mod.Thing, "old_name")
    assert thing.new_name() == "new"
    assert thing.added() == "keep+added"
    assert thing.keep() == "keep"
