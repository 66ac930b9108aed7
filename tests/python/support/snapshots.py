"""What a patch could change about a module, as objects compared by identity:
a save that must change nothing is checked against a snapshot taken before."""

import types


def _function_state(function):
    return (
        function,
        function.__code__,
        function.__defaults__,
        function.__kwdefaults__,
        function.__doc__,
        function.__annotations__,
    )


def _state(value, module_name, depth=0):
    """What a patch could change about `value`, as objects compared by identity."""
    if isinstance(value, types.FunctionType):
        return _function_state(value)
    if isinstance(value, (classmethod, staticmethod)):
        return (value, _state(value.__func__, module_name, depth + 1))
    if isinstance(value, property):
        return (value,) + tuple(_state(f, module_name, depth + 1) for f in (value.fget, value.fset, value.fdel))
    wrapped = getattr(value, "__wrapped__", None) if not isinstance(value, type) else None
    if wrapped is not None and depth < 5:
        return (value, _state(wrapped, module_name, depth + 1))
    if isinstance(value, type) and value.__module__ == module_name and depth < 5:
        return (value,) + tuple(
            (key, _state(item, module_name, depth + 1)) for key, item in sorted(vars(value).items())
        )
    return (value,)


def snapshot(namespace):
    """Every binding of a module namespace, with the code, defaults and docstrings of
    every function reachable through it (methods, properties, wrapped functions)."""
    name = namespace.get("__name__")
    return {key: _state(value, name) for key, value in namespace.items()}


def _same(a, b):
    if isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b):
        return all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    return a is b


def assert_unchanged(before, after):
    """Fails unless two snapshots hold the very same objects."""
    assert sorted(before) == sorted(after), "the module's names changed"
    changed = [key for key in before if not _same(before[key], after[key])]
    assert changed == [], f"these bindings changed: {changed}"
