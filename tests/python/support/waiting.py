"""Waiting with a deadline: the one way the tests wait for a condition (never a
fixed sleep)."""

import time

#: How long any single wait may take before the test fails. Generous: a wait
#: ends as soon as its condition holds, and a loaded machine can be slow.
TIMEOUT = 30.0


def wait_until(predicate, timeout=TIMEOUT, what=None):
    """Polls `predicate` until it returns something true, which it returns;
    fails after `timeout` seconds. The one way tests wait for a condition."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or predicate}")
        time.sleep(0.01)
