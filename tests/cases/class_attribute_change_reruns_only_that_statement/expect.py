"""Class attribute change reruns only that statement."""


def check(mod, case):
    sink = case.load("sink")
    klass = mod.Config
    config = mod.Config()
    assert sink.log == ["body start", "body end"]
    events = case.save()
    assert events == [f'Run {mod.__name__}.Config @L6: NAME = "new"']
    assert mod.Config is klass
    assert config.name() == "new"
    assert sink.log == ["body start", "body end"]
