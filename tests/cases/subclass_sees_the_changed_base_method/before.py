
class Base:
    def name(self):
        return "base"

class Child(Base):
    pass
