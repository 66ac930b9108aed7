match cmd:
    case ["go", d]:
        def step(): return d
    case _:
        pass
msg = f"{x!r:>{w}} and {y}"
type Alias = list[int]
