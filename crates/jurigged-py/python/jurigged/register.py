"""The original's ``jurigged.register`` names: the registry of the files jurigged
tracks and the import hook that fills it."""

from ._jurigged import ImportSniffer, Registry, registry

__all__ = ["ImportSniffer", "Registry", "registry"]
