import json


class Config:
    def __init__(self, data):
        self.data = data

    @classmethod
    def from_json(cls, text):
        return cls(json.loads(text))

    def get(self, key):
        return self.data[key]
