
def work(started, release):
    started.set()
    if not release.wait(10):
        return "timeout"
    return "new"
