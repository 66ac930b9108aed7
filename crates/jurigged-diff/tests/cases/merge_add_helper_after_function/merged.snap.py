"""Utilities for text."""
import re

# Compiled once.
WORD = re.compile(r"\w+")


# Count words.
def count_words(text):
    return len(WORD.findall(clean(text)))


def clean(text):
    return text.strip()


def shout(text):
    # Make it loud.
    return text.upper() + "!"


# Lowercase everything.
def whisper(text):
    return text.lower()
