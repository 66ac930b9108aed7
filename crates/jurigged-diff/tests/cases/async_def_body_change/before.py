import asyncio


async def fetch(url):
    await asyncio.sleep(0.1)
    return "data from " + url


async def main():
    print(await fetch("example.org"))
