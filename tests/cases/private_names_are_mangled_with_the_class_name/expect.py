"""Private names are mangled with the class name: the save leaves the module as a fresh
import of the new text would (found by an oracle, shrunk)."""

LIKE_A_FRESH_IMPORT = True
