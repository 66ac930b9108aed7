
class Base:
    def name(self):
        return "BASE"

class Child(Base):
    pass
