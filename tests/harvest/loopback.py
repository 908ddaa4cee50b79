"""What the test servers of tests/harvest/ share: a threaded HTTP server on 127.0.0.1 at a port
the system picks, written to a file once it listens (through a rename, so that a reader never
sees half of it), served until SIGTERM."""
import http.server
import os
import signal
import sys
import threading


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A client that went away is no error of the server's.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def serve(handler_class, port_file):
    """Serves handler_class on 127.0.0.1 until SIGTERM; the port goes to port_file."""
    server = Server(("127.0.0.1", 0), handler_class)

    def stop(signum, frame):
        # serve_forever runs on this thread: shutdown() would wait for it, so end it from another.
        threading.Thread(target=server.shutdown).start()

    signal.signal(signal.SIGTERM, stop)
    temporary = port_file + ".tmp"
    with open(temporary, "w", encoding="utf-8") as out:
        out.write(str(server.server_address[1]))
    os.rename(temporary, port_file)
    server.serve_forever(poll_interval=0.1)
    server.server_close()
