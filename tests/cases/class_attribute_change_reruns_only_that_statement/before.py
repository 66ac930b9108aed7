
import sink

class Config:
    sink.log.append("body start")
    NAME = "old"
    sink.log.append("body end")

    def name(self):
        return self.NAME
