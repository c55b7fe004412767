"""How many SQL statements the busiest requests run: a wrong code, a right password, a right code.

Counted with a SQLAlchemy ``before_cursor_execute`` listener: every SELECT, INSERT, UPDATE and
DELETE counts, and PostgreSQL's advisory lock (one statement for all of a decision's keys); BEGIN,
COMMIT and ROLLBACK do not, and that includes SQLite's lock, which is its ``BEGIN IMMEDIATE``.
So PostgreSQL is allowed one statement more. Each request is made once to warm up and counted
the second time. Run with ``-s`` to see the statements.
"""
import pytest
from conftest import PASSWORD, code_in
from sqlalchemy import event

from twofactor.extensions import db

UNCOUNTED = ("BEGIN", "COMMIT", "ROLLBACK")  # SQLite's lock is its BEGIN IMMEDIATE
MOST_FOR_A_WRONG_CODE = 5
# The goal is 8: the two audit rows (one before the send, one after) and the Twilio message id
# (known only after the send) still take a statement each.
MOST_FOR_A_PASSWORD = 9
MOST_FOR_A_RIGHT_CODE = 9


def advisory_lock(app) -> int:
    """1 where the lock is a statement of its own (PostgreSQL), else 0."""
    with app.app_context():
        return int(db.engine.dialect.name == "postgresql")


@pytest.fixture
def statements(app):
    """The SQL statements the app runs while the test's ``with statements.counting()`` lasts."""
    class Capture(list):
        on = False

        def counting(self):
            capture = self

            class Scope:
                def __enter__(self):
                    capture.clear()
                    capture.on = True

                def __exit__(self, *_):
                    capture.on = False
            return Scope()

    seen = Capture()
    with app.app_context():
        engine = db.engine

    def record(conn, cursor, statement, parameters, context, executemany):
        if seen.on and not statement.lstrip().upper().startswith(UNCOUNTED):
            seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def report(what: str, seen: list[str]) -> None:
    """Print the statements, so a change in count shows which one came or went."""
    print(f"\n{what}: {len(seen)} statements")
    for statement in seen:
        print("   ", statement[:240])


def wrong(code: str) -> str:
    """A six-digit code that is not ``code``."""
    return "000000" if code != "000000" else "111111"


def test_a_wrong_code_runs_at_most_5_statements(app, client, twilio, statements):
    client.post("/login", data={"username": "alice", "password": PASSWORD})
    sent = code_in(twilio.requests[-1])
    client.post("/code", data={"code": wrong(sent)})  # warm-up
    with statements.counting():
        answer = client.post("/code", data={"code": wrong(sent)})
    assert b"That code is not right" in answer.data
    report("wrong-code POST /code", statements)
    assert len(statements) <= MOST_FOR_A_WRONG_CODE + advisory_lock(app)


def test_a_right_password_that_sends_a_code_runs_at_most_9_statements(app, client, twilio,
                                                                      statements):
    client.post("/login", data={"username": "bob", "password": PASSWORD})  # warm-up
    sends = len(twilio.requests)
    with statements.counting():
        answer = client.post("/login", data={"username": "alice", "password": PASSWORD})
    assert answer.status_code == 302 and answer.location.endswith("/code")
    assert len(twilio.requests) == sends + 1  # the code was sent
    report("password POST /login", statements)
    assert len(statements) <= MOST_FOR_A_PASSWORD + advisory_lock(app)


def test_a_right_code_that_signs_in_runs_at_most_9_statements(app, client, twilio, statements):
    client.post("/login", data={"username": "bob", "password": PASSWORD})  # warm-up
    client.post("/code", data={"code": code_in(twilio.requests[-1])})
    client.post("/logout")
    client.post("/login", data={"username": "alice", "password": PASSWORD})
    with statements.counting():
        answer = client.post("/code", data={"code": code_in(twilio.requests[-1])})
    assert answer.status_code == 302 and not answer.location.endswith("/login")
    assert b"Welcome, alice" in client.get("/").data  # signed in
    report("right-code POST /code", statements)
    assert len(statements) <= MOST_FOR_A_RIGHT_CODE + advisory_lock(app)
