class Base:
    def greet(self):
        return "hello"


class Child(Base):
    def greet(self):
        return super().greet().upper() + "!"
