# Configuration for the web service.
PORT = 8080  # the default port; override with $PORT
HOST = "localhost"


# Entry point of the service.
def serve():
    return (HOST, PORT)
