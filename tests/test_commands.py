"""The command-line tools exactly as the README prints them, and what refuses to serve.

A fresh clone has no SECRET_KEY and no Twilio account: the commands that look after the
database must work there all the same, while serving with those settings (``flask run``
without ``--debug``, or gunicorn) must stop at once with one line saying what to set.
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import PASSWORD
from flask.cli import FlaskGroup

from app import create_app
from config import DEV_SECRET_KEY
from twofactor.extensions import db
from twofactor.models import AuditEvent, User
from twofactor.security import ConfigError

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def clone(tmp_path_factory):
    """The app's files in a new folder, so ``flask --app app`` makes its own instance/ there."""
    folder = tmp_path_factory.mktemp("clone")
    for name in ("app.py", "config.py"):
        shutil.copy(ROOT / name, folder)
    for name in ("twofactor", "templates", "static", "migrations"):
        shutil.copytree(ROOT / name, folder / name, ignore=shutil.ignore_patterns("__pycache__"))
    return folder


def run(clone, *command, stdin="", timeout=60):
    """Run ``command`` in ``clone`` with none of our settings in the environment, as on a
    new machine; its own session, so a password prompt reads stdin, not a terminal."""
    env = {"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8"}
    return subprocess.run(command, cwd=clone, env=env, input=stdin, capture_output=True,
                          text=True, timeout=timeout, start_new_session=True)


def flask(clone, *args, **kwargs):
    """``.venv/bin/flask --app app ARGS``."""
    return run(clone, sys.executable, "-m", "flask", "--app", "app", *args, **kwargs)


@pytest.fixture
def flask_command(tmp_path, monkeypatch):
    """The ``flask`` command in this process, on an app with a fresh clone's settings."""
    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "false")  # the flask command sets it; undone after
    apps = []

    def invoke(*args, input=None, **settings):
        def make_app():
            apps.append(create_app({
                "SECRET_KEY": DEV_SECRET_KEY, "TWILIO_ACCOUNT_SID": None,
                "TWILIO_AUTH_TOKEN": None,
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'cli.sqlite'}", **settings}))
            return apps[-1]
        return CliRunner().invoke(FlaskGroup(create_app=make_app, load_dotenv=False), list(args),
                                  input=input)

    yield invoke
    for app in apps:
        with app.app_context():
            db.engine.dispose()


def test_administrative_commands_need_no_key_and_no_twilio(flask_command):
    listed = flask_command("--help")
    assert listed.exit_code == 0 and "Traceback" not in listed.output
    assert all(f"  {name} " in listed.output for name in ("init-db", "create-user", "audit"))
    assert flask_command("init-db").output == "Initialized the database.\n"
    created = flask_command("create-user", "erin", "--phone", "+12015550166",
                            input=f"{PASSWORD}\n{PASSWORD}\n")
    assert created.exit_code == 0, created.output
    assert "user_created" in flask_command("audit").output
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({"SECRET_KEY": DEV_SECRET_KEY})  # the same settings, serving: refused


def test_a_setting_that_is_really_wrong_is_one_line_for_commands_too(flask_command):
    result = flask_command("init-db", APP_NAME="A name far too long for one text message")
    assert result.exit_code == 1
    assert result.output.startswith("Error: APP_NAME must be 1 to 30 plain letters")
    assert result.output.count("\n") == 1 and "Traceback" not in result.output


def test_help_lists_the_commands(clone):
    result = flask(clone, "--help")
    assert result.returncode == 0, result.stderr
    for command in ("init-db", "create-user", "audit"):
        assert f"  {command} " in result.stdout
    assert "Traceback" not in result.stderr


def test_init_db_create_user_and_audit_work_as_printed(clone):
    upgraded = flask(clone, "db", "upgrade")  # the README's run command starts with this
    assert upgraded.returncode == 0 and "Running upgrade" in upgraded.stderr, upgraded.stderr
    assert flask(clone, "init-db").stdout == "Initialized the database.\n"  # nothing left to do
    created = flask(clone, "create-user", "alice", "--phone", "+12015550123", "--via", "voice",
                    stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert created.returncode == 0, created.stderr
    assert created.stdout.endswith("Created alice; codes go to +•••••••••23 by voice.\n")
    assert (clone / "instance" / "twofactor.sqlite").is_file()  # the clone's own database
    trail = flask(clone, "audit", "alice").stdout.splitlines()
    assert trail[0].split() == ["time", "(UTC)", "event", "user", "address", "detail"]
    assert trail[1].split()[1:3] == ["user_created", "alice"]
    assert trail[1].endswith("voice to +•••••••••23, by create-user")
    assert flask(clone, "audit", "bob").stdout == "No user named bob.\n"


def test_flask_run_without_debug_refuses_development_settings_in_one_line(clone):
    result = flask(clone, "run", "--port", "0")  # were it to start, the timeout fails the test
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "Error: Set SECRET_KEY to a random value of at least 32 characters, e.g. "
        "python -c 'import secrets; print(secrets.token_hex(32))'."]


def test_gunicorn_refuses_development_settings(clone):
    result = run(clone, sys.executable, "-m", "gunicorn", "--bind", "127.0.0.1:0",
                 "app:create_app()")
    assert result.returncode != 0
    assert "Set SECRET_KEY to a random value" in result.stderr
    assert "Listening at" in result.stderr  # it got as far as starting, then refused


def test_create_user_checks_name_and_phone_before_asking_for_a_password(runner):
    result = runner.invoke(args=["create-user", "bad name!", "--phone", "123"],
                           input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 2 and "Password" not in result.output.split("Error:")[0]
    error = result.output.split("Error: ")[1]
    assert error.startswith("Username: Use letters, digits, dots, dashes or underscores.")
    assert "Phone number: That is not a valid phone number." in error
    taken = runner.invoke(args=["create-user", "alice", "--phone", "+12015550166"])
    assert taken.exit_code == 2
    assert "Username: That username is taken. Please choose another." in taken.output
    short = runner.invoke(args=["create-user", "al", "--phone", "+12015550166"])
    assert "Field must be between 3 and 64 characters long." in short.output


def test_create_user_refuses_a_password_sign_up_would_refuse(app, runner):
    result = runner.invoke(args=["create-user", "erin", "--phone", "+12015550166"],
                           input="x\nx\n")
    assert result.exit_code == 2
    assert "Error: Password: Use 8 to 128 characters." in result.output
    with app.app_context():
        assert db.session.scalar(db.select(User).where(User.username == "erin")) is None


def test_create_user_says_voice_like_everything_else(runner):
    result = runner.invoke(args=["create-user", "erin", "--phone", "+12015550166",
                                 "--via", "call"])
    assert result.exit_code == 2 and "'call' is not one of 'sms', 'voice'" in result.output


def test_create_user_makes_a_confirmed_account_and_records_it(app, runner, auth, twilio):
    result = runner.invoke(args=["create-user", "erin", "--phone", "201-555-0166", "--via",
                                 "voice"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    with app.app_context():
        event = db.session.scalar(db.select(AuditEvent).order_by(AuditEvent.id.desc()))
        assert (event.event, event.username) == ("user_created", "erin")
        assert event.detail == "voice to +•••••••••66, by create-user"
    auth.login(username="erin")  # the phone counts as confirmed: sign-in sends a code
    assert twilio.requests[-1]["path"].endswith("/Calls.json")
    assert twilio.requests[-1]["form"]["To"] == "+12015550166"
    assert auth.verify().headers["Location"] == "/"


def test_reset_limits_clears_an_account_and_an_address_and_is_audited(app, runner, twilio):
    """A developer told "try again in 55 minutes" on 127.0.0.1 can start afresh."""
    from conftest import counted, sign_up
    for n in range(6):
        sign_up(app, f"dev{n}", f"+1201{300 + n}0123")
    assert b"Many accounts were made from your network" in sign_up(app, "dev6",
                                                                    "+12013060123").data
    result = runner.invoke(args=["reset-limits", "--address", "127.0.0.1"])
    assert result.exit_code == 0 and "for network 127.0.0.1" in result.output
    assert counted(app, "signup:network:127.0.0.1") == 0
    assert b"We sent a text message" in sign_up(app, "dev6", "+12013060123").data
    client = app.test_client()
    for _ in range(6):
        client.post("/login", data={"username": "alice", "password": "wrong"})
    assert client.post("/login", data={"username": "alice", "password": PASSWORD}).status_code \
        == 429
    result = runner.invoke(args=["reset-limits", "ALICE"])
    assert result.exit_code == 0 and "account alice" in result.output
    assert client.post("/login", data={"username": "alice", "password": PASSWORD}).location \
        == "/code"
    trail = runner.invoke(args=["audit"]).output
    assert trail.count("limits_reset") == 2
    assert runner.invoke(args=["reset-limits"]).exit_code == 2
    assert "No user named nobody." in runner.invoke(args=["reset-limits", "nobody"]).output
