import json


class Config:
    def __init__(self, data):
        self.data = data

    @classmethod
    def from_json(cls, text):
        data = json.loads(text)
        return cls(data or {})

    def get(self, key):
        return self.data[key]
