class Settings:
    debug = False
    timeout = 30
    retries = 3

    def describe(self):
        return f"debug={self.debug} timeout={self.timeout}"
