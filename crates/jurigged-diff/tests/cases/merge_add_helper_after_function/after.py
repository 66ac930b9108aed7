def count_words(text):
    return len(WORD.findall(clean(text)))


def clean(text):
    return text.strip()
