"""A small threaded HTTP server on 127.0.0.1 that the fake providers build on.

It records every request, can hang (the client times out) or drop the connection (the
client sees no answer), and leaves the answers to a subclass's ``answer`` method.
"""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeServer:
    """Records requests; answers through ``answer``, or hangs or drops when told to."""

    def __init__(self):
        self.requests = []  # dicts: method, path, headers, body, spec_error, status, reply
        self.hang = 0.0  # seconds to wait before answering
        self.drop = 0  # how many next requests to answer by closing the connection
        self.released = threading.Event()  # set by close(): a hanging answer gives up
        self.lock = threading.Lock()  # one request at a time changes the fake's state
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the real clients expect

            def do_GET(self):
                fake.serve(self)

            def do_POST(self):
                fake.serve(self)

            def log_message(self, *args):  # keep test output quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def reset(self):
        """Forget requests and failure modes (a subclass also forgets its state)."""
        self.requests.clear()
        self.hang, self.drop = 0.0, 0

    def serve(self, handler):
        """Read, record, validate and answer one request."""
        body = handler.rfile.read(int(handler.headers.get("Content-Length", 0)))
        record = {"method": handler.command, "path": handler.path.split("?")[0],
                  "headers": dict(handler.headers), "body": body}
        with self.lock:
            self.requests.append(record)
            record["spec_error"] = self.spec_error(record)
            dropping = self.drop > 0
            self.drop -= dropping
            if not dropping:
                status, reply = (400, self.refusal(record["spec_error"])) if record["spec_error"] \
                    else self.answer(record)
                record.update(status=status, reply=reply)
        if dropping:
            handler.close_connection = True
            return  # no answer at all: the client sees the connection close
        if self.hang:
            self.released.wait(self.hang)
        data = json.dumps(reply).encode()
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up first (a timeout test)

    def spec_error(self, record: dict) -> str | None:
        """What is wrong with the request by the provider's API description, or None."""
        raise NotImplementedError

    def refusal(self, problem: str) -> dict:
        """The provider's error body for a request its API would refuse."""
        raise NotImplementedError

    def answer(self, record: dict) -> tuple[int, dict]:
        """The provider's status and JSON body for a valid request."""
        raise NotImplementedError

    def close(self):
        self.released.set()
        self.server.shutdown()
        self.server.server_close()
