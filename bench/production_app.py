"""gunicorn's entry for the benchmark: the app in production mode, Twilio pointed at the fake.

load.py sets BENCH_DATABASE_URL, BENCH_SECRET_KEY and BENCH_TWILIO_URL. With BENCH_MEASURE=1
each response carries what its request cost the worker: X-Bench-Statements (SQL statements
run), X-Bench-Server-Ms (time) and X-Bench-Hash-Ms (time in password checks). Only this
module adds them, never the app.
"""
import os
import time

import werkzeug.security

MEASURE = os.environ.get("BENCH_MEASURE") == "1"
spent = {"statements": 0, "hash": 0.0}  # sync workers serve one request at a time
_check_password_hash = werkzeug.security.check_password_hash


def timed_check_password_hash(pwhash: str, password: str) -> bool:
    """werkzeug's password check, timed."""
    began = time.perf_counter()
    try:
        return _check_password_hash(pwhash, password)
    finally:
        spent["hash"] += time.perf_counter() - began


if MEASURE:  # before the app's modules import it by name
    werkzeug.security.check_password_hash = timed_check_password_hash

from settings import production_config  # noqa: E402
from sqlalchemy import event  # noqa: E402
from twilio_http import LocalHttpClient  # noqa: E402

from app import create_app  # noqa: E402
from twofactor.extensions import db  # noqa: E402

app = create_app(production_config(
    os.environ["BENCH_DATABASE_URL"], os.environ["BENCH_SECRET_KEY"],
    LocalHttpClient(os.environ["BENCH_TWILIO_URL"], timeout=10)))


def measured(wsgi_app):
    """Wrap ``wsgi_app`` so each response says what its request cost."""
    def on_execute(_conn, _cursor, statement, *_args):
        # BEGIN, COMMIT and ROLLBACK are not counted (SQLite's lock is its BEGIN IMMEDIATE)
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            spent["statements"] += 1

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", on_execute)

    def measuring_app(environ, start_response):
        spent.update(statements=0, hash=0.0)
        began = time.perf_counter()

        def start(status, headers, exc_info=None):
            # Flask starts the response once the page is rendered and committed; the
            # session's closing rollback that follows runs no statement.
            headers += [("X-Bench-Statements", str(spent["statements"])),
                        ("X-Bench-Server-Ms", f"{(time.perf_counter() - began) * 1000:.3f}"),
                        ("X-Bench-Hash-Ms", f"{spent['hash'] * 1000:.3f}")]
            return start_response(status, headers, exc_info)
        return wsgi_app(environ, start)
    return measuring_app


if MEASURE:
    app.wsgi_app = measured(app.wsgi_app)
