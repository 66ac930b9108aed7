def parse(text):
    return text.split()


def render(items):
    return ', '.join(items)


def render_lines(items):
    return '\n'.join(items)
