def a():
    return 1

# trailing comment
def b():
	return 2