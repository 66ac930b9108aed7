# Configuration for the service.
PORT = 8080  # default port
HOST = "localhost"


# Entry point.
def serve():
    return (HOST, PORT)
