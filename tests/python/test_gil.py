"""The native module declares that it needs the GIL (issue 20, item 3): a
free-threaded Python then keeps its GIL on while jurigged runs, since the
commit stretch and the fork handling assume one.

Read from the module's definition (`PyModule_GetDef`, its `m_slots`), as a
free-threaded interpreter reads it at import: on CPython 3.13 and 3.14 a
module built for the full API (the standalone binary's) carries a `Py_mod_gil`
slot, pyo3's default being "not used". The abi3 wheel has no such slot (a
free-threaded Python does not load abi3 modules before 3.15)."""

PROGRAM = r"""
import ctypes, sys
import jurigged
module = sys.modules["jurigged._jurigged"]
get_def = ctypes.pythonapi.PyModule_GetDef
get_def.restype = ctypes.c_void_p
get_def.argtypes = [ctypes.py_object]
definition = get_def(module)
# PyModuleDef: m_base (PyObject_HEAD, m_init, m_index, m_copy), m_name, m_doc,
# m_size, m_methods, then m_slots.
pointer = ctypes.sizeof(ctypes.c_void_p)
slots = ctypes.c_void_p.from_address(definition + 2 * pointer + 3 * pointer + 4 * pointer).value
PY_MOD_GIL = 4
found = []
while slots:
    slot = ctypes.c_int.from_address(slots).value
    if slot == 0:
        break
    if slot == PY_MOD_GIL:
        found.append("used" if ctypes.c_void_p.from_address(slots + pointer).value in (None, 0) else "not used")
    slots += 2 * pointer
print("gil slot:", sys.version_info[0], sys.version_info[1], ",".join(found) or "none", flush=True)
"""


def test_the_module_declares_that_it_needs_the_gil(run, workspace, entry_kind):
    workspace.write("main.py", PROGRAM)
    process = run("main.py")
    line = process.wait_for("gil slot:", stream="stdout")
    assert process.wait_exit() == 0, process.describe()
    major, minor, slots = line.split(": ", 1)[1].split(" ")
    assert "not used" not in slots, line
    if entry_kind == "binary" and (3, 13) <= (int(major), int(minor)) < (3, 15):
        # Built for the full API of the Python it embeds: the slot is there.
        # (The binary embeds the Python it was built against: point
        # JURIGGED_BINARY at one built with PYO3_PYTHON=python3.13 to check it.)
        assert slots == "used", line
