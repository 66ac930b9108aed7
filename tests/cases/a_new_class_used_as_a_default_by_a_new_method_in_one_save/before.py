class E(ValueError):
    pass
