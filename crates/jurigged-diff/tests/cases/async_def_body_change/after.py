import asyncio


async def fetch(url):
    await asyncio.sleep(0.5)
    return "fresh data from " + url


async def main():
    print(await fetch("example.org"))
