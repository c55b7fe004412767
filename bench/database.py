"""The benchmark's database: its URL, an app bound to it, its schema, what it holds."""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, text  # noqa: E402

from app import create_app  # noqa: E402
from twofactor.extensions import db  # noqa: E402
from twofactor.models import AuditEvent, LimitEvent, User  # noqa: E402

MIGRATIONS = ROOT / "migrations"
COUNTED = {"users": User, "limit counters": LimitEvent, "audit events": AuditEvent}


def database_url(target: str) -> str:
    """A SQLAlchemy URL for ``target``: a URL as given, else a SQLite file path."""
    return target if "://" in target else f"sqlite:///{Path(target).resolve()}"


def local_app(url: str):
    """The app bound to ``url``, for the benchmark's own reads and writes."""
    return create_app({"TESTING": True, "SECRET_KEY": "bench-local-" + "0" * 32,
                       "SQLALCHEMY_DATABASE_URI": url})


def create_schema(app) -> None:
    """Create the tables as the app's own deployment does: migrations if the tree has them."""
    with app.app_context():
        if MIGRATIONS.is_dir():
            import flask_migrate
            if "migrate" not in app.extensions:
                flask_migrate.Migrate(app, db)
            flask_migrate.upgrade(directory=str(MIGRATIONS))
        else:
            db.create_all()


def row_counts(app) -> dict[str, int]:
    """How many rows the tables that grow hold (and the users)."""
    with app.app_context():
        counts = {name: db.session.scalar(db.select(func.count()).select_from(model))
                  for name, model in COUNTED.items()}
        db.session.remove()
    return counts


def server_version(app) -> str:
    """The database engine and its version, for the report."""
    with app.app_context(), db.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            return "SQLite " + conn.scalar(text("select sqlite_version()"))
        if conn.dialect.name == "postgresql":
            return "PostgreSQL " + conn.scalar(text("show server_version")).split()[0]
        return conn.dialect.name
