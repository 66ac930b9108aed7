"""The original's ``jurigged.register`` names: the registry of the files jurigged
tracks (``registry``, or a ``Registry()`` of one's own over the same files) and
the import hook that fills it."""

from ._jurigged import ImportSniffer, Registry, add_sniffer, registry
from .utils import glob_filter

__all__ = ["ImportSniffer", "Registry", "add_sniffer", "glob_filter", "registry"]
