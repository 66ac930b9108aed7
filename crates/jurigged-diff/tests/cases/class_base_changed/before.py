class Error(Exception):
    pass


class ConfigError(Error):
    def __str__(self):
        return "bad config"
