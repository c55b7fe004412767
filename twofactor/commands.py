"""Command-line tools: ``init-db``, ``create-user``, ``reset-password``, ``audit``,
``reset-limits`` and ``prune``."""
import click
from flask import Blueprint
from werkzeug.datastructures import MultiDict

from . import audit as trail
from .abuse import limits, policy
from .account import passwords, remember
from .extensions import db
from .models import AuditEvent, User
from .numbers import mask_phone
from .prune import prune as prune_rows
from .signin import password, sessions
from .signin.forms import CHANNELS, SignupForm

cli = Blueprint("cli", __name__, cli_group=None)
LINE = "{:<20} {:<16} {:<16} {:<15} {}"  # one audit event: time, event, user, address, detail


def signup_check(**fields: str) -> SignupForm:
    """Check ``fields`` by the sign-up page's rules; refuse them in that page's words."""
    form = SignupForm(formdata=MultiDict(fields), meta={"csrf": False})
    form.validate()
    if errors := [f"{form[name].label.text}: {' '.join(form[name].errors)}"
                  for name in fields if form[name].errors]:
        raise click.UsageError(" ".join(errors))
    return form


def password_check(password: str, username: str) -> None:
    """Refuse ``password`` for ``username`` by the rules every page applies."""
    if (why := passwords.problem(password, username)) is not None:
        raise click.UsageError(f"Password: {why}")


@cli.cli.command("init-db")
def init_db():
    """Create the tables or bring them up to date: the same as ``flask db upgrade``."""
    import flask_migrate  # only commands need it, never a worker
    flask_migrate.upgrade()
    click.echo("Initialized the database.")


@cli.cli.command("create-user")
@click.argument("username")
@click.option("--phone", required=True, help="Phone number, e.g. +12015550123.")
@click.option("--via", type=click.Choice([choice.value for choice in CHANNELS]), default="sms",
              show_default=True, help="How codes are sent unless the person picks another way.")
def create_user(username, phone, via):
    """Create an account whose phone is already confirmed; asks for its password."""
    form = signup_check(username=username, phone=phone)  # before anyone types a password
    chosen = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    password_check(chosen, username)
    user = User(username=username, phone=form.phone.e164, phone_confirmed=True,
                preferred_channel=via)
    user.set_password(chosen)
    db.session.add(user)
    db.session.flush()
    trail.record("user_created", user, f"{via} to {mask_phone(user.phone)}, by create-user")
    db.session.commit()
    click.echo(f"Created {username}; codes go to {mask_phone(user.phone)} by {via}.")


@cli.cli.command("reset-password")
@click.argument("username")
def reset_password(username):
    """Set a new password for an account that cannot reset its own (it has only a phone).

    Confirm who is asking by other means first: this skips the two proofs the web page needs.
    Every browser is signed out; the second factor stays required.
    """
    user = password.find_user(username)
    if user is None:
        raise click.UsageError(f"No account is named {username}.")
    chosen = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    password_check(chosen, user.username)
    user.set_password(chosen)
    sessions.end_all_sessions(user)
    remember.forget_all(user)
    trail.record("password_reset", user, "by reset-password")
    db.session.commit()
    click.echo(f"New password set for {user.username}; every browser was signed out.")


@cli.cli.command("audit")
@click.argument("username", required=False)
@click.option("--limit", default=100, show_default=True,
              help="How many of the latest events to show.")
def audit(username, limit):
    """Print the latest sign-in events, oldest first, optionally for one user."""
    query = db.select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if username:
        query = query.where(AuditEvent.username == username)
    rows = list(reversed(db.session.scalars(query).all()))
    if not rows:
        if username and not db.session.scalar(db.select(User.id).where(User.username == username)):
            click.echo(f"No user named {username}.")
            raise click.exceptions.Exit(1)
        click.echo(f"No events for {username}." if username else "No events yet.")
        return
    click.echo(LINE.format("time (UTC)", "event", "user", "address", "detail"))
    for row in rows:
        click.echo(LINE.format(f"{row.at:%Y-%m-%dT%H:%M:%SZ}", row.event, row.username or "-",
                               row.ip or "-", row.detail))


@cli.cli.command("prune")
def prune():
    """Delete expired sign-ins, sessions, old counters and audit events (safe while serving)."""
    removed = prune_rows()
    for kind, count in removed.items():
        click.echo(f"{count:>8} {kind}")
    click.echo(f"Removed {sum(removed.values())} rows.")


@cli.cli.command("reset-limits")
@click.argument("username", required=False)
@click.option("--address", help="A client address (IPv6: any address of its /64).")
def reset_limits(username, address):
    """Clear an account's or an address's counters: codes sent, wrong codes, failed passwords."""
    if not (username or address):
        raise click.UsageError("Name a USERNAME, an --address, or both.")
    keys, what = [], []
    if username:
        user = db.session.scalar(db.select(User).where(User.username_key == username.lower()))
        if user is None:
            raise click.UsageError(f"No user named {username}.")
        keys += policy.account_keys(user)
        what.append(f"account {user.username}")
    if address:
        keys += policy.network_keys(policy.client_network(address))
        what.append(f"network {policy.client_network(address)}")
    removed = limits.forget(*keys)
    trail.record("limits_reset", user if username else None,
                 f"{', '.join(what)}: {removed} counted events, by reset-limits")
    db.session.commit()
    click.echo(f"Cleared {removed} counted events for {' and '.join(what)}.")
