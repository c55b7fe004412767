"""Every query a sign-in makes uses an index, so it stays fast however large the tables grow.

The statements are captured from a real sign-in (password, wrong code, resend, right code,
a signed-in page) and each SELECT, UPDATE and DELETE is explained by the database in use. On
PostgreSQL sequential scans are priced out (small test tables would otherwise make them the
cheaper plan), so any that remain mean no index could serve the query.
"""
import re

import pytest
from sqlalchemy import event

from twofactor.extensions import db

# Plan lines that read a whole table, per database.
FULL_SCAN = {"sqlite": re.compile(r"^SCAN (?!.*USING (COVERING )?INDEX)"),
             "postgresql": re.compile(r"Seq Scan")}


@pytest.fixture
def statements(app):
    """Every SQL statement the app runs during the test, with its parameters."""
    seen = []
    with app.app_context():
        engine = db.engine

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def explain(app, statement: str, parameters) -> list[str]:
    """The database's plan for ``statement``, one line per step."""
    with app.app_context(), db.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
            return [row[-1] for row in rows]
        connection.exec_driver_sql("SET enable_seqscan = off")
        return [row[0] for row in connection.exec_driver_sql("EXPLAIN " + statement, parameters)]


def reads_own_subquery(line: str, plan: list[str]) -> bool:
    """Whether a SQLite ``SCAN x`` reads the result of the statement's own subquery ``x`` (the
    plan builds it first, as CO-ROUTINE x or MATERIALIZE x), rather than a table."""
    name = line.split()[1]
    return any(step in (f"CO-ROUTINE {name}", f"MATERIALIZE {name}") for step in plan)


def test_no_query_of_a_sign_in_reads_a_whole_table(app, auth, client, statements):
    auth.login()
    auth.verify("000000" if auth.last_code() != "000000" else "111111")
    auth.resend("voice")
    auth.verify()
    client.get("/")
    queries = [(s, p) for s, p in statements
               if re.match(r"\s*(SELECT\b.*\bFROM\b|UPDATE\b|DELETE\b)", s, re.S)]
    assert len(queries) > 10  # the capture works: a sign-in runs many queries
    with app.app_context():
        dialect = db.engine.dialect.name
    scans = {}
    for statement, parameters in queries:
        plan = explain(app, statement, parameters)
        if any(FULL_SCAN[dialect].search(line) and not reads_own_subquery(line, plan)
               for line in plan):
            scans[statement] = plan
    assert scans == {}
