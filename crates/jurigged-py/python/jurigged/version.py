"""The distribution's version, where the original keeps it (``jurigged.version.version``)."""

from ._jurigged import __version__ as version

__all__ = ["version"]
