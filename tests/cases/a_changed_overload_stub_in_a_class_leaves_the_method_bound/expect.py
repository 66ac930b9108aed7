"""A changed overload stub in a class leaves the method bound: the save leaves the
module as a fresh import of the new text would (found by an oracle, shrunk)."""

LIKE_A_FRESH_IMPORT = True
