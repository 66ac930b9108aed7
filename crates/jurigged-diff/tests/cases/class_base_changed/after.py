class Error(Exception):
    pass


class ConfigError(Error, ValueError):
    def __str__(self):
        return "bad config"
