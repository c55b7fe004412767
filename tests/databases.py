"""Fresh, migrated databases for the tests: SQLite files, or PostgreSQL with TEST_DATABASE_URL.

The schema is built once by the migrations (never by ``create_all``) into a template; each
test then gets its own copy: a copied file on SQLite, ``CREATE DATABASE … TEMPLATE`` on
PostgreSQL. ``.ci/with-postgres`` starts a throwaway server and sets TEST_DATABASE_URL.
"""
import itertools
import os
import shutil
from pathlib import Path

import flask_migrate
import sqlalchemy as sa

from app import create_app
from twofactor.extensions import db

SERVER_URL = os.environ.get("TEST_DATABASE_URL")  # e.g. postgresql+psycopg://postgres@/postgres?host=/tmp/…


def on_postgres() -> bool:
    """Whether this run uses a PostgreSQL server instead of SQLite files."""
    return bool(SERVER_URL)


def upgrade(url: str, revision: str = "head") -> None:
    """Run the migrations against ``url`` as ``flask --app app db upgrade`` does."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        flask_migrate.upgrade(revision=revision)
        db.engine.dispose()


class Databases:
    """Hands out empty databases at the newest schema, one per call."""

    def __init__(self, folder: Path):
        self.folder, self._names = folder, itertools.count()
        self._made: list[str] = []
        self.template = self.empty("template")
        upgrade(self.template)

    def empty(self, label: str = "") -> str:
        """The URL of a new, empty database (no tables at all)."""
        name = f"t{os.getpid()}_{next(self._names)}{label}"
        if not on_postgres():
            return f"sqlite:///{self.folder / name}.sqlite"
        self._server(f'CREATE DATABASE "{name}"')
        self._made.append(name)
        return sa.make_url(SERVER_URL).set(database=name).render_as_string(hide_password=False)

    def fresh(self) -> str:
        """The URL of a new database with every table, empty."""
        name = f"t{os.getpid()}_{next(self._names)}"
        if not on_postgres():
            path = self.folder / f"{name}.sqlite"
            shutil.copy(sa.make_url(self.template).database, path)
            return f"sqlite:///{path}"
        template = sa.make_url(self.template).database
        self._server(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        self._made.append(name)
        return sa.make_url(SERVER_URL).set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        """Drop every database this run made on the server."""
        for name in reversed(self._made):
            self._server(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    @staticmethod
    def _server(statement: str) -> None:
        """Run one statement on the server's maintenance database, outside a transaction."""
        engine = sa.create_engine(SERVER_URL, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
        with engine.connect() as connection:
            connection.exec_driver_sql(statement)
        engine.dispose()
