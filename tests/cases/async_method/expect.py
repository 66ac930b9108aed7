"""Async method."""

import asyncio


def check(mod, case):
    client = mod.Client()
    bound = client.get
    assert asyncio.run(bound(1)) == 2
    case.save()
    assert asyncio.run(bound(2)) == 2000
    assert asyncio.run(client.get(3)) == 3000
