"""The original's ``jurigged.rescript``: send every call of a function through a
transform of it (a decorator applied after the fact), keeping the function
object, so that every reference to it sees the transform."""

import types

from .db import get_functions


def redirect(fn, transform):
    """Makes `fn` call ``transform(original)`` instead of its own body: a copy
    of the original is given to `transform`, and `fn` gets code that forwards
    its arguments to what `transform` returned."""
    original = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__, fn.__defaults__, fn.__closure__)
    original.__kwdefaults__ = fn.__kwdefaults__
    original.__dict__.update(fn.__dict__)
    original.__qualname__ = fn.__qualname__
    # Kept in the function's globals under a name no program writes.
    slot = f"__jurigged_redirected_{fn.__name__}_{id(fn):x}"
    fn.__globals__[slot] = transform(original)
    forwarding = f"def {fn.__name__}(*args, **kwargs):\n    return {slot}(*args, **kwargs)\n"
    scope = {}
    exec(compile(forwarding, fn.__code__.co_filename, "exec"), fn.__globals__, scope)
    code = scope[fn.__name__].__code__.replace(co_firstlineno=fn.__code__.co_firstlineno)
    if fn.__code__.co_freevars:
        # A closure's code must keep its free variables: they are forwarded unused.
        code = code.replace(co_freevars=fn.__code__.co_freevars)
    fn.__code__ = code
    fn.__defaults__ = None
    fn.__kwdefaults__ = None


def redirect_code(code, transform):
    """`redirect` for the one function that runs `code`."""
    functions = get_functions(code)
    if len(functions) != 1:
        raise Exception(f"Redirecting {code} requires exactly one function to use it, not {len(functions)}.")
    redirect(functions[0], transform)


__all__ = ["redirect", "redirect_code"]
