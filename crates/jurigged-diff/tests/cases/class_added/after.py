class Animal:
    def speak(self):
        return "..."


class Dog(Animal):
    sound = "woof"

    def speak(self):
        return self.sound
