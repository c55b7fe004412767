"""Command-line tools: ``init-db``, ``create-user``, ``audit`` and ``prune``."""
import click
import flask_migrate
from flask import Blueprint, current_app

from .extensions import db
from .models import AuditEvent, User
from .prune import prune as prune_rows
from .numbers import parse_phone

cli = Blueprint("cli", __name__, cli_group=None)


@cli.cli.command("init-db")
def init_db():
    """Create the tables or bring them up to date: the same as ``flask db upgrade``."""
    flask_migrate.upgrade()
    click.echo("Initialized the database.")


@cli.cli.command("create-user")
@click.argument("username")
@click.option("--phone", required=True, help="Phone number, e.g. +12015550123.")
@click.option("--via", type=click.Choice(["sms", "call"]), default="sms",
              help="How codes are sent by default.")
@click.password_option()
def create_user(username, phone, via, password):
    """Create an account whose phone is already confirmed."""
    cfg = current_app.config
    try:
        e164 = parse_phone(phone, cfg["PHONE_DEFAULT_REGION"], cfg["PHONE_COUNTRIES"])
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--phone") from None
    if db.session.scalar(db.select(User.id).where(User.username == username)):
        raise click.BadParameter("that username is taken", param_hint="USERNAME")
    user = User(username=username, phone=e164, phone_confirmed=True,
                preferred_channel="voice" if via == "call" else "sms")
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    click.echo(f"Created {username}.")


@cli.cli.command("audit")
@click.argument("username", required=False)
@click.option("--limit", default=100, help="How many of the latest events to show.")
def audit(username, limit):
    """Print the latest sign-in events, oldest first, optionally for one user."""
    query = db.select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if username:
        query = query.where(AuditEvent.username == username)
    for row in reversed(db.session.scalars(query).all()):
        click.echo(f"{row.at:%Y-%m-%dT%H:%M:%SZ} {row.event:<16} {row.username or '-':<16} "
                   f"{row.ip or '-':<15} {row.detail}")


@cli.cli.command("prune")
def prune():
    """Delete expired sign-ins, sessions, old counters and audit events (safe while serving)."""
    removed = prune_rows()
    for kind, count in removed.items():
        click.echo(f"{count:>8} {kind}")
    click.echo(f"Removed {sum(removed.values())} rows.")
