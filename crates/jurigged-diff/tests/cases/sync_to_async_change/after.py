import time


async def wait_a_bit():
    time.sleep(1)
    return "done"


def other():
    return 2
