
import asyncio

async def fetch(x):
    await asyncio.sleep(0)
    return x * 100
