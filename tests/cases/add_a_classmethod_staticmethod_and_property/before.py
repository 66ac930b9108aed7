
class Thing:
    def __init__(self):
        self.x = 3
