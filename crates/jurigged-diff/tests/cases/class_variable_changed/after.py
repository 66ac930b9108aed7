class Settings:
    debug = True
    timeout = 30
    retries = 5

    def describe(self):
        return f"debug={self.debug} timeout={self.timeout}"
