"""A removed setter leaves the property without one: the save leaves the module as a
fresh import of the new text would (found by an oracle, shrunk)."""

LIKE_A_FRESH_IMPORT = True
