"""A setter follows two shifts of its class: the saves in turn leave the module as a
fresh import of the last text would (found by an oracle, shrunk)."""

LIKE_A_FRESH_IMPORT = True
