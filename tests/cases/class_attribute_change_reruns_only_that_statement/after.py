
import sink

class Config:
    sink.log.append("body start")
    NAME = "new"
    sink.log.append("body end")

    def name(self):
        return self.NAME
