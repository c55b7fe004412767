"""Alembic's entry point: run the migrations against the app's database, one upgrader at a time."""
import fcntl
import logging
from contextlib import contextmanager

from alembic import context
from flask import current_app
from sqlalchemy import inspect, text

# The revision whose schema is what create_all made before migrations existed.
BASELINE = "a1b2c3d4e5f6"
# Any constant works: it names the PostgreSQL advisory lock every upgrader waits on.
UPGRADE_LOCK = 7_202_611

config = context.config
log = logging.getLogger("alembic.env")
if not logging.getLogger().handlers:  # `flask db …` on a terminal: say what runs
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("alembic").setLevel(logging.INFO)
    logging.getLogger("alembic.autogenerate").setLevel(logging.WARNING)


@contextmanager
def one_upgrader_at_a_time(connection):
    """Hold a lock across processes and machines so only one upgrade runs; others then find
    the schema current and do nothing."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": UPGRADE_LOCK})
        connection.commit()
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": UPGRADE_LOCK})
            connection.commit()
    elif connection.dialect.name == "sqlite" and connection.engine.url.database not in (
            None, "", ":memory:"):
        # A SQLite file is only ever shared on one machine, so a lock file beside it will do.
        with open(connection.engine.url.database + ".upgrade-lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield
    else:
        yield


def adopt_unversioned(connection, migration_context) -> None:
    """A database with tables but no version row was made by create_all: stamp the baseline."""
    tables = inspect(connection).get_table_names()
    if "user" in tables and "alembic_version" not in tables:
        log.info("Adopting a database made before migrations: stamping %s", BASELINE)
        migration_context.stamp(context.script, BASELINE)
        connection.commit()


def run_migrations_online() -> None:
    """Run the pending migrations over the app's own engine."""
    engine = current_app.extensions["migrate"].db.engine
    with engine.connect() as connection:
        with one_upgrader_at_a_time(connection):
            context.configure(
                connection=connection,
                target_metadata=current_app.extensions["migrate"].db.metadata,
                **{**current_app.extensions["migrate"].configure_args,
                   # SQLite cannot ALTER most things: Alembic copies the table instead.
                   "render_as_batch": connection.dialect.name == "sqlite"},
            )
            adopt_unversioned(connection, context.get_context())
            with context.begin_transaction():
                context.run_migrations()
            connection.commit()


if context.is_offline_mode():
    raise SystemExit("Offline (--sql) migrations are not supported: run them against a database.")
run_migrations_online()
