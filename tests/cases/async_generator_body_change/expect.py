"""Async generator body change."""

import asyncio


def check(mod, case):
    alias = mod.numbers

    async def collect():
        return [x async for x in alias()]

    assert asyncio.run(collect()) == [1, 2]
    case.save()
    assert asyncio.run(collect()) == [10, 20, 30]
