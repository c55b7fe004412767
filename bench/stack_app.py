"""The bare route again, in a worker that has also loaded what the app is built on: Flask-SQLAlchemy
and SQLAlchemy's ORM connected to the benchmark's database, Flask-WTF and Flask-Login.

Its memory is the least any worker of this app could take, before a line of the app is loaded.
"""
import os

import flask_login  # noqa: F401  (loaded, as the app loads it)
import flask_wtf  # noqa: F401
from bare_app import app
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import text

app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["BENCH_DATABASE_URL"]
db = SQLAlchemy(app)


@app.get("/db")
def database():
    """One query, so the database driver and a connection are loaded too."""
    return str(db.session.execute(text("SELECT 1")).scalar())
