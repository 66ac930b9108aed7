"""A changed table statement calls the new code of a changed function: the save leaves
the module as a fresh import of the new text would (found by an oracle, shrunk).

Issue 21 item 8: statements whose value reads a function the save changed."""

LIKE_A_FRESH_IMPORT = True
