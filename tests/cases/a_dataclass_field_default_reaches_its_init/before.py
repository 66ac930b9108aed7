import dataclasses


@dataclasses.dataclass
class C:
    size: int = 1
