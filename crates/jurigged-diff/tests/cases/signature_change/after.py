def greet(name, punctuation="!"):
    return "Hello, " + name


def farewell(name):
    return "Bye, " + name
