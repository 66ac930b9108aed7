"""Utilities for text."""
import re

# Compiled once.
WORD = re.compile(r"\w+")


# Count words.
def count_words(text):
    return len(WORD.findall(text))


def shout(text):
    return text.upper() + "!!!"


# Lowercase everything.
def whisper(text):
    return text.lower()
