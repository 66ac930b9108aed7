
CONFIG = {
    "a": 1,
}
