"""The original's ``jurigged.utils`` names that its clients import: the filename
filter of watch patterns, a filter accepting what any of several accept, and
``shift_lineno``, which moves a code object (and those nested in it) by a number
of lines."""

import types

from ._jurigged import EventSource
from ._jurigged import glob_filter as _native_glob_filter


def glob_filter(pattern):
    """A filename filter for the watch pattern `pattern` (a glob, a directory, a
    file, `~` expanded), as `watch()` reads its patterns.

    A Python function over the native filter, as the original's is: clients and
    the original's tests find it with `registry.find(glob_filter)` in this file."""
    return _native_glob_filter(pattern)


def or_filter(filters):
    """A filename filter that accepts what any of `filters` accepts."""
    filters = list(filters)
    if len(filters) == 1:
        return filters[0]
    return lambda filename: any(accepts(filename) for accepts in filters)


def shift_lineno(co, delta):
    """`co` with its first line moved by `delta`, nested code objects too (the
    line table is relative to the first line, so it moves with it). Anything that
    is not a code object is returned as it is."""
    if not isinstance(co, types.CodeType):
        return co
    moved = tuple(shift_lineno(const, delta) for const in co.co_consts)
    return co.replace(co_firstlineno=co.co_firstlineno + delta, co_consts=moved)


__all__ = ["EventSource", "glob_filter", "or_filter", "shift_lineno"]
