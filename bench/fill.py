"""Fill a database with many accounts and a month of sends, wrong codes and audit events.

Every limit counts rows of one table, limit_event(key, at): a send is a row under each of its
keys (account, cooldown, and the site-wide confirmed count, as a sign-in's code is), a wrong
code or password one row under its key. ``rows`` sends and ``rows`` wrong entries are added,
so the table gets about 4 × ``rows`` rows, and the audit table ``rows``.

Run: .venv/bin/python bench/fill.py DATABASE [--users N] [--rows M]
DATABASE is a SQLite file path or a SQLAlchemy URL (postgresql+psycopg://...). Accounts are
added after those already there (user<k>); the rows are spread over every account.
"""
import argparse
import random
import time
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from itertools import chain, islice

from database import create_schema, database_url, local_app
from sqlalchemy import func, insert, select

from twofactor.extensions import db
from twofactor.models import AuditEvent, LimitEvent, User, utcnow

PASSWORD = "correct horse battery"
CHUNK = 10_000
HISTORY = timedelta(days=30)
EVENTS = ("password_ok", "code_sent", "code_accepted", "code_refused", "password_failed")
# The empty value of a NOT NULL column's type, when it has no default.
BLANKS = {int: int, float: float, bool: bool, str: str, datetime: utcnow, date: date.today}


def fill(url: str, users: int = 100_000, rows: int = 1_000_000) -> list[tuple[str, str]]:
    """Add ``users`` accounts, ``rows`` sends, wrong entries and audit events; who was added."""
    app = local_app(url)
    create_schema(app)
    began, rng = time.perf_counter(), random.Random(15)
    with app.app_context():
        with db.engine.connect() as conn, _bulk_load(conn):
            write = _copy if conn.dialect.name == "postgresql" else _insert
            added = _add_users(conn, write, users)
            accounts = conn.execute(select(User.id, User.username, User.phone)).all()
            ips = [".".join(str(rng.randrange(1, 224 if n == 0 else 255)) for n in range(4))
                   for _ in range(50_000)]
            for kind in ("sends", "wrong entries", "audit"):
                write(conn, (AuditEvent if kind == "audit" else LimitEvent).__table__,
                      _history(kind, rows, accounts, ips, rng))
        db.engine.dispose()
    print(f"fill: {users:,} users, {rows:,} sends and {rows:,} wrong entries as limit counters, "
          f"{rows:,} audit events in {time.perf_counter() - began:.1f} s ({url.split(':')[0]})",
          flush=True)
    return added


@contextmanager
def _bulk_load(conn):
    """SQLite: no fsync while filling (this connection only). PostgreSQL: ANALYZE afterwards."""
    if conn.dialect.name == "sqlite":
        synchronous = conn.exec_driver_sql("PRAGMA synchronous").scalar()
        conn.exec_driver_sql("PRAGMA synchronous=OFF")
        yield
        conn.exec_driver_sql(f"PRAGMA synchronous={synchronous}")
        return
    yield
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("ANALYZE")  # what autovacuum would soon do after such a load
        conn.commit()


def _add_users(conn, write, count: int) -> list[tuple[str, str]]:
    """Add ``count`` confirmed accounts named after those already there."""
    first = conn.scalar(select(func.count()).select_from(User.__table__))
    # One real hash for every account: the hash is slow on purpose (about 0.1 s each), so
    # hashing 100,000 passwords would take hours, and sign-ins only need it to be real.
    account = User()
    account.set_password(PASSWORD)  # the app's own hashing, whatever it becomes
    people = [(f"user{k}", f"+1{201 + k % 700}555{k // 700 % 10_000:04d}")
              for k in range(first, first + count)]
    rows = ({"username": name, "phone": phone, "password_hash": account.password_hash,
             "phone_confirmed": True} for name, phone in people)
    write(conn, User.__table__, _chunks(User.__table__, rows))
    return people


def _history(kind: str, count: int, accounts: list, ips: list[str], rng: random.Random):
    """``count`` sends, wrong entries or audit events over the last 30 days, oldest first."""
    start, step = utcnow() - HISTORY, HISTORY / max(count, 1)

    def rows(i: int) -> list[dict]:
        user_id, username, _phone = rng.choice(accounts)
        at = start + step * (i + rng.random())
        if kind == "sends":
            keys = [f"send:account:{user_id}", f"send:cooldown:{user_id}", "send:confirmed"]
        elif kind == "wrong entries":
            keys = [rng.choice([f"guess:account:{user_id}", f"password:account:{username}",
                                f"password:network:{rng.choice(ips)}"])]
        else:
            return [{"user_id": user_id, "username": username, "event": rng.choice(EVENTS),
                     "ip": rng.choice(ips), "at": at}]
        return [{"key": key, "at": at} for key in keys]
    table = (AuditEvent if kind == "audit" else LimitEvent).__table__
    return _chunks(table, chain.from_iterable(rows(i) for i in range(count)))


def _chunks(table, rows):
    """``rows`` in lists of CHUNK, each row given every other column the database needs."""
    extra = None
    while chunk := list(islice(rows, CHUNK)):
        if extra is None:  # every row of a table lacks the same columns
            extra = _missing_columns(table, chunk[0].keys())
        for row in chunk:
            row.update((name, make()) for name, make in extra)
        yield chunk


def _missing_columns(table, given) -> list:
    """(name, make value) for each column not ``given`` that has a Python default or is NOT NULL.

    Columns added later (with a default, as a migration needs) are so filled without a change here.
    """
    found = []
    for column in table.columns:
        default = column.default
        if column.name in given or column is table.autoincrement_column:
            continue
        if default is not None and default.is_scalar:
            found.append((column.name, lambda value=default.arg: value))
        elif default is not None and default.is_callable:
            found.append((column.name, lambda make=default.arg: make(None)))
        elif default is None and column.server_default is None and not column.nullable:
            try:
                blank = BLANKS[column.type.python_type]
            except (KeyError, NotImplementedError):
                raise SystemExit(f"fill.py: no value for {table.name}.{column.name}") from None
            found.append((column.name, blank))
    return found


def _insert(conn, table, chunks) -> None:
    """SQLite (and any other database): one executemany INSERT per chunk."""
    for chunk in chunks:
        conn.execute(insert(table), chunk)
        conn.commit()  # small transactions keep SQLite's write-ahead log small


def _copy(conn, table, chunks) -> None:
    """PostgreSQL: stream the rows with COPY, the fastest way in."""
    from psycopg import sql
    chunks = iter(chunks)
    first = next(chunks, None)
    if first is None:
        return
    columns = list(first[0])
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, columns)))
    if not conn.in_transaction():
        conn.begin()  # so that conn.commit() below commits the COPY
    with conn.connection.driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
        for chunk in chain([first], chunks):
            for row in chunk:
                copy.write_row([row[name] for name in columns])
    conn.commit()


def main() -> None:
    """Command line: fill.py DATABASE [--users N] [--rows M]."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database", help="SQLite file path or SQLAlchemy URL")
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--rows", type=int, default=1_000_000,
                        help="rows in each of the send, failed-guess and audit tables")
    args = parser.parse_args()
    fill(database_url(args.database), args.users, args.rows)


if __name__ == "__main__":
    main()
