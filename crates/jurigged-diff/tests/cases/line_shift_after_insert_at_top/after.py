"""Widgets."""
import logging

log = logging.getLogger(__name__)


def helper():
    return 42


class Widget:
    def render(self):
        return "<widget>"


def main():
    return helper()
