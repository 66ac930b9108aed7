"""Async function body change."""

import asyncio


def check(mod, case):
    alias = mod.fetch
    assert asyncio.run(alias(1)) == 2
    case.save()
    assert asyncio.run(alias(2)) == 200
    assert asyncio.run(mod.fetch(3)) == 300
