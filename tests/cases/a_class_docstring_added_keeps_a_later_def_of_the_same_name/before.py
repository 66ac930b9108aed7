class C:
    @property
    def __doc__(self):
        return 'instance doc'
