"""Method change is seen by existing instances and stored bound methods."""


def check(mod, case):
    instance = mod.Counter(10)
    bound = instance.step
    klass = mod.Counter
    events = case.save()
    assert events == [f"Update {mod.__name__}.Counter.step @L6"]
    assert instance.step() == 110
    assert bound() == 110
    assert mod.Counter is klass
    assert isinstance(instance, mod.Counter)
