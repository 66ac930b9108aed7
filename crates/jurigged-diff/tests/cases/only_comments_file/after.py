# This module is intentionally empty for now.
# TODO: move the string helpers here.
# See issue 12.
