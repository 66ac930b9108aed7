class C:
    """Doc."""

    @property
    def __doc__(self):
        return 'instance doc'
