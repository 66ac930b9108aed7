@a.b(1,
     2)
@c
class D(Base, metaclass=M):
    @d
    async def m(self) -> int:
        global G
        G = 1
        return G


print(D)
