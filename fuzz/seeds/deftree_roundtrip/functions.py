import math

# Area of a circle.
def area(r):
    return math.pi * r ** 2


async def fetch(url, *, timeout=10):
    """Fetch it."""
    return await get(url, timeout)
