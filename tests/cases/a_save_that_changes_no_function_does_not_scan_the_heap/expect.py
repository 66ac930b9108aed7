"""A save that changes no function does not scan the heap."""

from jurigged import _jurigged


def check(mod, case):
    scans = _jurigged.heap_scans()
    case.save()
    assert _jurigged.heap_scans() == scans
    assert mod.f() == 2
