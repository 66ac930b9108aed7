"""A reference taken before a decorator was added runs the new code: the save leaves the
module as a fresh import of the new text would (found by an oracle, shrunk)."""

LIKE_A_FRESH_IMPORT = True
