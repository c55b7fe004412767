"""gunicorn's entry for the benchmark: the app in production mode, Twilio pointed at the fake.

load.py sets BENCH_DATABASE_URL, BENCH_SECRET_KEY and BENCH_TWILIO_URL. With
BENCH_COUNT_SQL=1 each response carries X-Bench-Statements, the number of SQL statements its
request ran, and X-Bench-Server-Ms, the time the worker spent on it; only this module adds
them, never the app.
"""
import os
import time

from sqlalchemy import event

from app import create_app
from fake_twilio import LocalHttpClient
from settings import production_config
from twofactor.extensions import db

app = create_app(production_config(
    os.environ["BENCH_DATABASE_URL"], os.environ["BENCH_SECRET_KEY"],
    LocalHttpClient(os.environ["BENCH_TWILIO_URL"], timeout=10)))


def count_statements(wsgi_app):
    """Wrap ``wsgi_app`` so each response says how many statements its request ran, and how long."""
    counted = [0]  # sync workers serve one request at a time, so one counter per process

    def on_execute(*_args):
        counted[0] += 1

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", on_execute)

    def counting_app(environ, start_response):
        counted[0], began = 0, time.perf_counter()

        def start(status, headers, exc_info=None):
            # Flask starts the response once the page is rendered and committed; the
            # session's closing rollback that follows runs no statement.
            headers.append(("X-Bench-Statements", str(counted[0])))
            headers.append(("X-Bench-Server-Ms", f"{(time.perf_counter() - began) * 1000:.3f}"))
            return start_response(status, headers, exc_info)
        return wsgi_app(environ, start)
    return counting_app


if os.environ.get("BENCH_COUNT_SQL") == "1":
    app.wsgi_app = count_statements(app.wsgi_app)
