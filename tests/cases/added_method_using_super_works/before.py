
class Base:
    def greet(self):
        return "base"

class Child(Base):
    pass
