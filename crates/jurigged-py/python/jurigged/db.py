"""The code registry (the original's "codefind"): find live code objects, the
functions that run them, and give them new code.

Tools whose wrappers compile their own code from a function's source can take
part in updates with the ``__conform__`` protocol: keep the original code object
in a ``__slots__`` attribute of an object that has a ``__conform__(new_code)``
method; jurigged calls it with the new code object (or None when the function
is deleted) whenever the function changes.
"""

from ._jurigged import ConformException, conform, find_code, get_functions

__all__ = ["ConformException", "conform", "find_code", "get_functions"]
