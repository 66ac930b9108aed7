def connect(host, port=9090):
    return (host, port)


def close(conn):
    return None
