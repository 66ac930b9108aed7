"""Shrinking a failing save (before text, after text) to a smaller pair that still
fails the same way: definitions and statements, top-level or in a class body, are
removed from both texts at once while the failure stays."""

import ast
import re
import time


def _key(node):
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return ("def", node.name)
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        return ("assign", node.targets[0].id)
    return ("statement", ast.dump(node))


def _first_line(node):
    decorators = getattr(node, "decorator_list", None)
    return min([node.lineno] + [d.lineno for d in decorators or ()])


def _units(text):
    """(owner class or None, key) of every removable unit of `text`."""
    found = []
    for node in ast.parse(text).body:
        found.append((None, _key(node)))
        if isinstance(node, ast.ClassDef):
            found.extend((node.name, _key(member)) for member in node.body)
    return found


def without(text, unit):
    """`text` with every statement matching `unit` removed (its decorators too)."""
    owner, key = unit
    body = ast.parse(text).body
    if owner is not None:
        classes = [n for n in body if isinstance(n, ast.ClassDef) and n.name == owner]
        body = [member for c in classes for member in c.body]
    drop = set()
    for node in body:
        if _key(node) == key:
            drop.update(range(_first_line(node), node.end_lineno + 1))
    lines = text.splitlines(keepends=True)
    return "".join(line for number, line in enumerate(lines, 1) if number not in drop)


def shrink(before, after, still_fails, budget=3.0):
    """The smallest (before, after) found within `budget` seconds for which
    `still_fails(before, after)` holds, removing one unit at a time."""
    deadline = time.monotonic() + budget
    progress = True
    while progress and time.monotonic() < deadline:
        progress = False
        units = list(dict.fromkeys(_units(before) + _units(after)))
        for unit in units:
            if time.monotonic() >= deadline:
                break
            smaller = without(before, unit), without(after, unit)
            if smaller == (before, after):
                continue
            try:
                compile(smaller[0], "<shrink>", "exec")
                compile(smaller[1], "<shrink>", "exec")
            except SyntaxError:
                continue
            if still_fails(*smaller):
                before, after = smaller
                progress = True
                break
    # Blank lines left by the removals, kept only where the failure needs them (a
    # shift of line numbers may be what fails).
    tighter = _collapse_blank_lines(before), _collapse_blank_lines(after)
    if tighter != (before, after) and still_fails(*tighter):
        before, after = tighter
    return before, after


def _collapse_blank_lines(text):
    return re.sub(r"\n{3,}", "\n\n", text).lstrip("\n")
