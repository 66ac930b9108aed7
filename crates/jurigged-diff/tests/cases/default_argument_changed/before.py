def connect(host, port=8080):
    return (host, port)


def close(conn):
    return None
