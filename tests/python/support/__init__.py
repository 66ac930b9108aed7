"""Helpers of the end-to-end tests, one module a job:

- `waiting`: `wait_until` and `TIMEOUT`, the one way a test waits;
- `cli`: real `jurigged` processes (either entry), the program's directory,
  saves the way editors make them, the event-stream readers;
- `terminal`: `jurigged` in a pseudo-terminal (the develoop's views);
- `live_modules`: modules written, imported and patched in the test's own
  process (the `ws` fixture);
- `snapshots`: a module's bindings and code, to check a save changed nothing;
- `tracebacks`: the frame a call fails in;
- `cases`: the before/after cases of tests/cases (run by test_cases.py);
- `oracle_compare`, `oracle_gen`, `oracle_shrink`: the edit oracles' comparison
  with a fresh import, their generator and shrinker; `oracle_replay`, the script
  behind `cargo xtask replay`.

conftest.py puts this package's directory on sys.path."""
