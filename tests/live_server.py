"""The app served on 127.0.0.1 by Werkzeug in a thread, for tests that use a real HTTP client."""
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from werkzeug.serving import make_server

from twofactor.extensions import db


def closing_body(app):
    """Read each response whole and close it before Werkzeug writes a byte.

    Werkzeug's development server skips ``close()`` on the response when the browser
    drops the connection while it drains the request (a tab moving on mid-favicon), which
    leaks the open static file; nothing here streams, so buffering costs nothing.
    """
    def wsgi(environ, start_response):
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()
    return wsgi


@contextmanager
def serving(app) -> Iterator[int]:
    """Serve ``app`` until the block ends; yields the port."""
    server = make_server("127.0.0.1", 0, closing_body(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()
        with app.app_context():
            db.engine.dispose()
