"""Patching module-level functions: every reference sees the new code, whatever
hides the function (aliases, imports, decorators, closures, coroutines)."""

import asyncio
import inspect
import threading


def test_body_change_is_seen_through_an_alias_a_dict_and_a_from_import(ws):
    mod, cf = ws.module(
        """
        def f(x):
            return x + 1

        table = {"f": f}
        """
    )
    user = ws.load(
        f"""
        from {mod.__name__} import f

        def call(x):
            return f(x)

        held = [f]
        """
    )
    alias = mod.f
    events = ws.edit(
        cf,
        """
        def f(x):
            return x + 100

        table = {"f": f}
        """,
    )
    assert events == [f"Update {mod.__name__}.f @L2"]
    assert alias(1) == 101
    assert mod.table["f"](1) == 101
    assert user.f(1) == 101
    assert user.call(1) == 101
    assert user.held[0](1) == 101
    assert mod.f is alias and user.f is alias and mod.table["f"] is alias


def test_partial_of_a_function_sees_the_new_code(ws):
    mod, cf = ws.module(
        """
        import functools

        def add(a, b):
            return a + b

        add_one = functools.partial(add, 1)
        """
    )
    ws.edit(
        cf,
        """
        import functools

        def add(a, b):
            return (a + b) * 10

        add_one = functools.partial(add, 1)
        """,
    )
    assert mod.add_one(2) == 30


def test_docstring_change_updates_the_function_doc(ws):
    mod, cf = ws.module(
        '''
        def f():
            """Old doc."""
            return 1
        '''
    )
    alias = mod.f
    ws.edit(
        cf,
        '''
        def f():
            """New doc."""
            return 1
        ''',
    )
    assert alias.__doc__ == "New doc."
    assert inspect.getdoc(mod.f) == "New doc."
    assert alias() == 1


def test_async_function_body_change(ws):
    mod, cf = ws.module(
        """
        import asyncio

        async def fetch(x):
            await asyncio.sleep(0)
            return x + 1
        """
    )
    alias = mod.fetch
    assert asyncio.run(alias(1)) == 2
    ws.edit(
        cf,
        """
        import asyncio

        async def fetch(x):
            await asyncio.sleep(0)
            return x * 100
        """,
    )
    assert asyncio.run(alias(2)) == 200
    assert asyncio.run(mod.fetch(3)) == 300


def test_async_generator_body_change(ws):
    mod, cf = ws.module(
        """
        async def numbers():
            yield 1
            yield 2
        """
    )
    alias = mod.numbers

    async def collect():
        return [x async for x in alias()]

    assert asyncio.run(collect()) == [1, 2]
    ws.edit(
        cf,
        """
        async def numbers():
            yield 10
            yield 20
            yield 30
        """,
    )
    assert asyncio.run(collect()) == [10, 20, 30]


def test_functools_wraps_decorator_keeps_wrapping_the_new_code(ws):
    mod, cf = ws.module(
        """
        import functools

        calls = []

        def logged(fn):
            @functools.wraps(fn)
            def wrapper(*args):
                calls.append(fn.__name__)
                return fn(*args)
            return wrapper

        @logged
        def f(x):
            return x + 1
        """
    )
    decorated = mod.f
    original = mod.f.__wrapped__
    assert decorated(1) == 2
    events = ws.edit(
        cf,
        """
        import functools

        calls = []

        def logged(fn):
            @functools.wraps(fn)
            def wrapper(*args):
                calls.append(fn.__name__)
                return fn(*args)
            return wrapper

        @logged
        def f(x):
            return x + 1000
        """,
    )
    # The decorator line (13) or the def line (14): either names the definition.
    assert events in ([f"Update {mod.__name__}.f @L13"], [f"Update {mod.__name__}.f @L14"])
    assert original(1) == 1001
    assert decorated(1) == 1001
    assert mod.f is decorated
    # The decorator still wraps it (and `calls` was not re-created).
    assert mod.calls == ["f", "f"]


def test_decorator_factory_keeps_wrapping_the_new_code(ws):
    mod, cf = ws.module(
        """
        import functools

        def tag(label):
            def decorate(fn):
                @functools.wraps(fn)
                def wrapper(*args):
                    return (label, fn(*args))
                return wrapper
            return decorate

        @tag("a")
        def f(x):
            return x + 1
        """
    )
    decorated = mod.f
    assert decorated(1) == ("a", 2)
    ws.edit(
        cf,
        """
        import functools

        def tag(label):
            def decorate(fn):
                @functools.wraps(fn)
                def wrapper(*args):
                    return (label, fn(*args))
                return wrapper
            return decorate

        @tag("a")
        def f(x):
            return x * 50
        """,
    )
    assert decorated(2) == ("a", 100)
    assert mod.f.__wrapped__(2) == 100


def test_wrapper_without_wraps_finds_the_function_in_its_closure(ws):
    mod, cf = ws.module(
        """
        def times_hundred(fn):
            def wrapper(*args):
                return fn(*args) * 100
            return wrapper

        @times_hundred
        def f():
            return 1
        """
    )
    decorated = mod.f
    assert decorated() == 100
    ws.edit(
        cf,
        """
        def times_hundred(fn):
            def wrapper(*args):
                return fn(*args) * 100
            return wrapper

        @times_hundred
        def f():
            return 7
        """,
    )
    assert decorated() == 700
    assert mod.f() == 700


def test_changing_the_decorator_line_reruns_the_definition_and_rebinds_the_name(ws):
    mod, cf = ws.module(
        """
        import functools

        made = []

        def tag(label):
            made.append(label)
            def decorate(fn):
                @functools.wraps(fn)
                def wrapper(*args):
                    return (label, fn(*args))
                return wrapper
            return decorate

        @tag("a")
        def f():
            return 1

        @tag("g")
        def g():
            return 2
        """
    )
    old_f = mod.f
    old_g = mod.g
    assert mod.made == ["a", "g"]
    ws.edit(
        cf,
        """
        import functools

        made = []

        def tag(label):
            made.append(label)
            def decorate(fn):
                @functools.wraps(fn)
                def wrapper(*args):
                    return (label, fn(*args))
                return wrapper
            return decorate

        @tag("b")
        def f():
            return 1

        @tag("g")
        def g():
            return 2
        """,
    )
    assert mod.f() == ("b", 1)
    assert mod.f is not old_f
    # Only the changed definition was re-run with its decorators.
    assert mod.made == ["a", "g", "b"]
    assert mod.g is old_g


def test_adding_a_decorator_applies_it(ws):
    mod, cf = ws.module(
        """
        def double(fn):
            def wrapper(*args):
                return fn(*args) * 2
            return wrapper

        def f():
            return 21
        """
    )
    ws.edit(
        cf,
        """
        def double(fn):
            def wrapper(*args):
                return fn(*args) * 2
            return wrapper

        @double
        def f():
            return 21
        """,
    )
    assert mod.f() == 42


def test_closures_created_before_the_edit_get_new_code_and_keep_captured_values(ws):
    mod, cf = ws.module(
        """
        def make_adder(n):
            def add(x):
                return x + n
            return add

        adders = [make_adder(1), make_adder(2)]
        """
    )
    first, second = mod.adders
    assert (first(10), second(10)) == (11, 12)
    ws.edit(
        cf,
        """
        def make_adder(n):
            def add(x):
                return (x + n) * 1000
            return add

        adders = [make_adder(1), make_adder(2)]
        """,
    )
    assert first(10) == 11000
    assert second(10) == 12000
    assert mod.make_adder(3)(10) == 13000
    # The statement building `adders` did not change: it was not re-run.
    assert mod.adders[0] is first


def test_closure_over_a_mutable_cell_keeps_its_state(ws):
    mod, cf = ws.module(
        """
        def make_counter():
            count = 0
            def tick():
                nonlocal count
                count += 1
                return count
            return tick

        counter = make_counter()
        """
    )
    counter = mod.counter
    assert counter() == 1
    assert counter() == 2
    ws.edit(
        cf,
        """
        def make_counter():
            count = 0
            def tick():
                nonlocal count
                count += 10
                return count
            return tick

        counter = make_counter()
        """,
    )
    assert counter() == 12


def test_module_constant_change_is_rerun_and_seen_by_functions(ws):
    mod, cf = ws.module(
        """
        LIMIT = 10
        state = []

        def limit():
            return LIMIT
        """
    )
    state = mod.state
    events = ws.edit(
        cf,
        """
        LIMIT = 20
        state = []

        def limit():
            return LIMIT
        """,
    )
    assert events == [f"Run {mod.__name__} @L2: LIMIT = 20"]
    assert mod.LIMIT == 20
    assert mod.limit() == 20
    assert mod.state is state


def test_add_a_function(ws):
    mod, cf = ws.module(
        """
        def f():
            return 1
        """
    )
    events = ws.edit(
        cf,
        """
        def f():
            return 1

        def g():
            return f() + 1
        """,
    )
    assert events == [f"Add {mod.__name__}.g @L5"]
    assert mod.g() == 2


def test_delete_a_function(ws):
    mod, cf = ws.module(
        """
        def f():
            return 1

        def g():
            return 2
        """
    )
    events = ws.edit(
        cf,
        """
        def f():
            return 1
        """,
    )
    assert events == [f"Delete {mod.__name__}.g @L5"]
    assert not hasattr(mod, "g")
    assert mod.f() == 1


def test_rename_a_function(ws):
    mod, cf = ws.module(
        """
        def old_name():
            return 1

        def caller():
            return old_name()
        """
    )
    ws.edit(
        cf,
        """
        def new_name():
            return 2

        def caller():
            return new_name()
        """,
    )
    assert not hasattr(mod, "old_name")
    assert mod.new_name() == 2
    assert mod.caller() == 2


def test_a_running_generator_keeps_its_old_code_and_a_new_one_gets_the_new_code(ws):
    mod, cf = ws.module(
        """
        def numbers():
            yield 1
            yield 2
            yield 3
        """
    )
    running = mod.numbers()
    assert next(running) == 1
    ws.edit(
        cf,
        """
        def numbers():
            yield 10
            yield 20
            yield 30
        """,
    )
    assert list(running) == [2, 3]
    assert list(mod.numbers()) == [10, 20, 30]


def test_a_function_running_during_the_save_finishes_on_old_code_and_the_next_call_is_new(ws):
    mod, cf = ws.module(
        """
        def work(started, release):
            started.set()
            if not release.wait(10):
                return "timeout"
            return "old"
        """
    )
    started, release = threading.Event(), threading.Event()
    results = []
    thread = threading.Thread(target=lambda: results.append(mod.work(started, release)))
    thread.start()
    try:
        assert started.wait(10), "the worker did not start"
        events = ws.edit(
            cf,
            """
            def work(started, release):
                started.set()
                if not release.wait(10):
                    return "timeout"
                return "new"
            """,
        )
        assert events == [f"Update {mod.__name__}.work @L2"]
    finally:
        release.set()
        thread.join(10)
    assert not thread.is_alive()
    assert results == ["old"]
    assert mod.work(threading.Event(), release) == "new"


def test_future_annotations_stay_strings_after_an_update(ws):
    mod, cf = ws.module(
        """
        from __future__ import annotations

        def f(x: NotDefinedAnywhere) -> list[Undefined]:
            return 1
        """
    )
    assert mod.f.__annotations__ == {"x": "NotDefinedAnywhere", "return": "list[Undefined]"}
    ws.edit(
        cf,
        """
        from __future__ import annotations

        def f(x: NotDefinedAnywhere) -> list[Undefined]:
            return 2
        """,
    )
    assert mod.f(0) == 2
    assert mod.f.__annotations__ == {"x": "NotDefinedAnywhere", "return": "list[Undefined]"}


def test_future_annotations_apply_to_added_functions(ws):
    mod, cf = ws.module(
        """
        from __future__ import annotations

        def f() -> Undefined:
            return 1
        """
    )
    ws.edit(
        cf,
        """
        from __future__ import annotations

        def f() -> Undefined:
            return 1

        def g(y: AlsoUndefined) -> int:
            return 2
        """,
    )
    assert mod.g(0) == 2
    assert mod.g.__annotations__ == {"y": "AlsoUndefined", "return": "int"}


def test_decorator_that_registers_and_returns_the_function(ws):
    """A decorator that returns the function itself after registering it: the
    registry entry and the module name are one function, both updated."""
    mod, cf = ws.module(
        """
        handlers = {}

        def handler(fn):
            handlers[fn.__name__] = fn
            return fn

        @handler
        def on_event():
            return "old"
        """
    )
    ws.edit(
        cf,
        """
        handlers = {}

        def handler(fn):
            handlers[fn.__name__] = fn
            return fn

        @handler
        def on_event():
            return "new"
        """,
    )
    assert mod.on_event() == "new"
    assert mod.handlers["on_event"]() == "new"
    assert mod.handlers["on_event"] is mod.on_event


def test_lru_cache_decorated_function_gets_new_code(ws):
    mod, cf = ws.module(
        """
        import functools

        @functools.lru_cache(maxsize=None)
        def square(x):
            return x * x
        """
    )
    cached = mod.square
    ws.edit(
        cf,
        """
        import functools

        @functools.lru_cache(maxsize=None)
        def square(x):
            return x * x * x
        """,
    )
    # A new argument (nothing cached) runs the new code.
    assert cached(3) == 27
    assert mod.square is cached
