"""The migrations are the schema: one head, no drift from the models, reversible, and they adopt a
database that create_all made before migrations existed. Runs on SQLite and on PostgreSQL."""
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import flask_migrate
import legacy_schema as legacy
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from databases import upgrade

from app import create_app
from twofactor.extensions import db
from twofactor.models import (
    AuditEvent,
    LimitBucket,
    LimitEvent,
    LoginSession,
    OneTimeCode,
    PendingLogin,
    User,
    token_hash,
)

ROOT = Path(__file__).resolve().parents[1]


def migrated_app(url: str):
    """An app on ``url``, whose schema the test drives."""
    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})


def drift(app) -> list:
    """What autogenerate would write: the differences between the models and the database."""
    with app.app_context():
        with db.engine.connect() as connection:
            found = compare_metadata(MigrationContext.configure(connection), db.metadata)
        db.engine.dispose()
    return found


def version(url: str) -> list[str]:
    """The revisions recorded in the database."""
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    with engine.connect() as connection:
        return list(connection.scalars(sa.text("SELECT version_num FROM alembic_version")))


def test_one_head():
    script = ScriptDirectory(str(ROOT / "migrations"))
    assert len(script.get_heads()) == 1


def test_upgrade_matches_the_models_and_downgrades_and_upgrades_again(databases):
    url = databases.empty()
    app = migrated_app(url)
    head = ScriptDirectory(str(ROOT / "migrations")).get_current_head()
    with app.app_context():
        flask_migrate.upgrade()
        assert drift(app) == []
        flask_migrate.downgrade(revision="base")
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
        flask_migrate.upgrade()
        assert drift(app) == []
        db.engine.dispose()
    assert version(url) == [head]


def test_a_database_made_by_create_all_is_adopted_with_every_row(databases):
    url = databases.empty()
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    legacy.Base.metadata.create_all(engine)  # exactly as the last release before migrations
    at = datetime(2026, 11, 20, 9, 30)
    with sa.orm.Session(engine) as session:
        session.add(legacy.User(id=7, username="olduser", password_hash="pbkdf2:x",
                                phone="+12015550123", phone_confirmed=True, created_at=at))
        session.add(legacy.User(id=8, username="OldUser", password_hash="pbkdf2:y",
                                phone="+12015550124", phone_confirmed=True, created_at=at))
        session.flush()
        session.add(legacy.PendingLogin(id="p1", user_id=7, purpose="login", created_at=at,
                                        expires_at=at))
        session.flush()
        session.add_all([
            legacy.OneTimeCode(id="c1", user_id=7, pending_id="p1", purpose="login",
                               channel="sms", code_hash="h" * 64, created_at=at, expires_at=at),
            legacy.SendEvent(user_id=7, ip="192.0.2.1", prefix="+12015550", at=at),
            legacy.FailedGuess(user_id=7, at=at),
            legacy.LoginSession(id="s1", user_id=7, created_at=at, last_seen=at),
            legacy.AuditEvent(user_id=7, username="olduser", event="signup", at=at),
        ])
        session.commit()
    engine.dispose()

    upgrade(url)

    app = migrated_app(url)
    assert drift(app) == []
    with app.app_context():
        user = db.session.get(User, 7)
        assert (user.username, user.phone, user.phone_confirmed) == ("olduser", "+12015550123",
                                                                      True)
        # Names that differ only by case both keep working; the older holds the unique key.
        assert (user.username_key, db.session.get(User, 8).username_key) == ("olduser", None)
        # Ids are now the hash of the token the browser holds: the same cookies still work.
        assert db.session.get(PendingLogin, token_hash("p1")).user_id == 7
        assert db.session.get(OneTimeCode, "c1").pending_id == token_hash("p1")
        assert db.session.get(LoginSession, token_hash("s1")).user_id == 7
        counters = db.session.execute(sa.select(LimitEvent.key, LimitEvent.at)).all()
        assert sorted(counters) == [("guess:account:7", at), ("send:account:7", at)]
        # The site-wide count moved to its hour's bucket.
        hourly = db.session.execute(sa.select(LimitBucket.key, LimitBucket.hour,
                                              LimitBucket.count)).all()
        assert hourly == [("send:confirmed", at.replace(minute=0, second=0, microsecond=0), 1)]
        assert db.session.scalar(sa.select(AuditEvent.at)) == at
        db.session.remove()
        db.engine.dispose()


def test_upgrades_started_at_once_all_succeed_and_migrate_once(databases):
    """Several instances deploying together each run ``db upgrade`` on the same empty database."""
    url = databases.empty()
    env = {**os.environ, "DATABASE_URL": url, "FLASK_DEBUG": "1"}
    runs = [subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "db", "upgrade"],
                             cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True) for _ in range(4)]
    outputs = [run.communicate(timeout=120)[0] for run in runs]
    assert [run.returncode for run in runs] == [0] * 4, outputs
    # The first to get the lock migrated; the others found the schema current.
    assert sum("Running upgrade  -> a1b2c3d4e5f6" in out for out in outputs) == 1
    assert drift(migrated_app(url)) == []
