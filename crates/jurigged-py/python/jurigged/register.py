"""The original's ``jurigged.register`` names: the registry of the files jurigged
tracks (``registry``, or a ``Registry()`` of one's own over the same files) and
the import hook that fills it."""

from ._jurigged import ImportSniffer, Registry, add_sniffer, registry


def __getattr__(name):
    # ``glob_filter`` is ``jurigged.utils``'s Python function, as the original's;
    # read on first use: the package's modules import only the native one when
    # they load (the binary embeds them in name order).
    if name == "glob_filter":
        from .utils import glob_filter

        return glob_filter
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = ["ImportSniffer", "Registry", "add_sniffer", "glob_filter", "registry"]
