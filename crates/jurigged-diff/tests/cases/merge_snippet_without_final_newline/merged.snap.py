def parse(text):
    return text.split(',')


def render(items):
    return ' '.join(items)


def main():
    return render(parse('a b'))
