"""A new class used as a default by a new method in one save: the save leaves the module
as a fresh import of the new text would (found by an oracle, shrunk)."""

LIKE_A_FRESH_IMPORT = True
