"""A changed print line runs exactly once."""


def check(mod, case):
    assert case.capsys.readouterr().out == "one\ntwo\nthree\n"
    events = case.save()
    assert case.capsys.readouterr().out == "TWO\n"
    assert events == [f'Run {mod.__name__} @L3: print("TWO")']
