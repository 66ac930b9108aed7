"""The original's ``jurigged.recode`` names: change a function, method, class or
module in memory, try it, write it back to its file with ``commit()``."""

from ._jurigged import OutOfSyncException, Recoder, make_recoder, virtual_file

__all__ = ["OutOfSyncException", "Recoder", "make_recoder", "virtual_file"]
