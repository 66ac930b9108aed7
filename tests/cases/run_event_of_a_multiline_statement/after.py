
CONFIG = {
    "a": 2,
}
