# This module is intentionally empty.
# TODO: move the helpers here.
