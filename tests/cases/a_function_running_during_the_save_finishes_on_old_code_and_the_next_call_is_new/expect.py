"""A function running during the save finishes on old code and the next call is new."""

import threading


def check(mod, case):
    started, release = threading.Event(), threading.Event()
    results = []
    thread = threading.Thread(target=lambda: results.append(mod.work(started, release)))
    thread.start()
    try:
        assert started.wait(10), "the worker did not start"
        events = case.save()
        assert events == [f"Update {mod.__name__}.work @L2"]
    finally:
        release.set()
        thread.join(10)
    assert not thread.is_alive()
    assert results == ["old"]
    assert mod.work(threading.Event(), release) == "new"
