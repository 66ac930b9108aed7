"""An unchanged table built by calls of a changed function is built again: the save
leaves the module as a fresh import of the new text would (found by an oracle,
shrunk).

Issue 21 item 8: statements whose value reads a function the save changed."""

LIKE_A_FRESH_IMPORT = True
