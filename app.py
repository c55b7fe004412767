"""The application factory: ``flask --app app run --debug``."""
import os

from flask import Flask
from sqlalchemy import event
from werkzeug.middleware.proxy_fix import ProxyFix

from twofactor import commands, errors, health, security
from twofactor.account import (
    deletion,
    devices,
    keys,
    password_change,
    phone_change,
    recovery,
    stepup,
)
from twofactor.account import views as account
from twofactor.api import views as api
from twofactor.extensions import csrf, db, login_manager
from twofactor.providers import delivery, outbox, webhooks
from twofactor.signin import views


def create_app(test_config=None):
    """Build the app: config in layers, extensions, the blueprint, the commands."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object("config.Config")
    app.config.from_pyfile("config.py", silent=True)  # instance/config.py: local secrets
    if test_config is not None:
        app.config.from_mapping(test_config)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config["SQLALCHEMY_DATABASE_URI"] = (app.config.get("SQLALCHEMY_DATABASE_URI")
                                             or f"sqlite:///{app.instance_path}/twofactor.sqlite")
    security.check_config(app)
    if app.config["TRUSTED_PROXIES"]:
        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n)

    db.init_app(app)
    # The schema is changed only by ``flask --app app db upgrade`` (migrations/), never by a
    # worker as it boots: several workers or instances may start at once. So a worker does
    # not even load Flask-Migrate and Alembic (11 MB).
    if not security.serves_requests() or app.testing:
        from flask_migrate import Migrate
        Migrate(app, db, directory=os.path.join(app.root_path, "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    security.init_app(app)
    errors.init_app(app)

    # The sign-in pages, the account's pages, then one blueprint per concern, then the commands.
    for blueprint in (views.bp, account.bp, keys.bp, stepup.bp, recovery.bp, phone_change.bp,
                      password_change.bp, devices.bp, deletion.bp, delivery.bp, outbox.bp,
                      health.bp, webhooks.bp, api.bp, commands.cli):
        app.register_blueprint(blueprint)

    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _sqlite_pragmas)
    return app


def _sqlite_pragmas(dbapi_connection, _record):
    """WAL and a busy timeout let several worker processes share one SQLite file."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()
