"""The audit trail: every sign-in step recorded with who, where and when; no secret anywhere."""
import logging
from datetime import datetime, timedelta

from conftest import PASSWORD, AuthActions
from test_abuse import spend_budget, wrong

from twofactor.extensions import db
from twofactor.models import AuditEvent, PendingLogin

IP = "192.0.2.44"


def events(app, username=None) -> list[AuditEvent]:
    with app.app_context():
        query = db.select(AuditEvent).order_by(AuditEvent.id)
        if username:
            query = query.where(AuditEvent.username == username)
        rows = db.session.scalars(query).all()
        db.session.expunge_all()
        return rows


def test_every_step_is_recorded_with_user_address_and_utc_time(app, twilio, clock):
    browser = app.test_client()
    browser.environ_base["REMOTE_ADDR"] = IP
    auth = AuthActions(browser, twilio)
    auth.login(password="wrong password")
    auth.login(username="nobody")
    auth.login()
    auth.verify(wrong(auth.last_code()))
    clock.tick(timedelta(seconds=31))
    auth.resend("voice")
    auth.verify()
    auth.logout()
    rows = events(app)
    assert [(r.event, r.username) for r in rows] == [
        ("password_failed", "alice"), ("password_failed", None),
        ("password_ok", "alice"), ("code_sent", "alice"), ("code_refused", "alice"),
        ("code_sent", "alice"), ("code_accepted", "alice"), ("logout", "alice")]
    assert all(r.ip == IP for r in rows)
    assert rows[0].at == datetime(2026, 11, 21, 12, 0, 0)  # the frozen clock is UTC
    assert rows[3].detail == "sms to +•••••••••23 for login"
    assert rows[5].detail == "voice to +•••••••••23 for login"
    assert rows[4].detail == rows[6].detail == "voice" or rows[4].detail == "sms"


def test_lockout_and_limits_are_recorded(app, auth, clock):
    app.config["GUESS_DELAY_AFTER"] = 10**6  # the budget alone, not the delay
    spend_budget(auth, clock)
    auth.login()
    clock.tick(timedelta(seconds=1))
    names = [r.event for r in events(app, "alice")]
    assert names.count("code_refused") == 9 and names.count("lockout") == 1
    assert names[-1] == "limit_hit" and events(app)[-1].detail == "budget"


def test_audit_command_prints_the_trail(app, runner, auth, clock):
    auth.login(username="bob", password="nope")
    auth.login()
    auth.verify()
    everyone = runner.invoke(args=["audit"]).output.splitlines()
    assert len(everyone) == 1 + 4
    assert everyone[0].split() == ["time", "(UTC)", "event", "user", "address", "detail"]
    assert everyone[1].split()[:3] == ["2026-11-21T12:00:00Z", "password_failed", "bob"]
    alice = runner.invoke(args=["audit", "alice"]).output
    assert "bob" not in alice
    assert "code_sent" in alice and "sms to +•••••••••23" in alice and "127.0.0.1" in alice


def test_audit_command_says_when_there_is_nothing_to_show(app, runner, auth):
    assert runner.invoke(args=["audit"]).output == "No events yet.\n"
    assert runner.invoke(args=["audit", "alice"]).output == "No events for alice.\n"
    unknown = runner.invoke(args=["audit", "nobody"])
    assert unknown.output == "No user named nobody.\n" and unknown.exit_code == 1
    auth.login(username="nobody")  # the failed attempt is recorded without a user
    assert runner.invoke(args=["audit", "nobody"]).output == "No user named nobody.\n"


def test_no_code_password_or_cookie_in_any_log_or_the_audit_table(app, twilio, caplog, clock):
    """Everything logged at DEBUG, twilio's and urllib3's included, over a full flow."""
    caplog.set_level(logging.DEBUG)  # the root logger; sqlalchemy keeps its own WARNING
    for name in ("twilio", "twilio.http_client", "urllib3", "app", "werkzeug", "flask_wtf"):
        caplog.set_level(logging.DEBUG, logger=name)  # even if another test quietened it
    browser = app.test_client()
    auth = AuthActions(browser, twilio)
    secrets = {PASSWORD, "wrong-password-123"}
    responses = [auth.login(password="wrong-password-123"), auth.login()]
    typed = wrong(auth.last_code())
    responses.append(auth.verify(typed))
    clock.tick(timedelta(seconds=31))
    responses.append(auth.resend("voice"))
    responses.append(auth.verify())
    responses.append(browser.get("/"))
    with browser.session_transaction() as session:
        secrets.add(session["sid"])  # the server-side session id
    responses.append(auth.logout())
    with app.app_context():
        secrets |= set(db.session.scalars(db.select(PendingLogin.id)))
    secrets |= {typed, *(code for code in map(code_of, twilio.requests))}
    secrets |= {twilio.requests[0]["form"]["Body"], "test-auth-token-0123456789abcdef"}
    for response in responses:
        for header in response.headers.getlist("Set-Cookie"):
            value = header.split(";")[0].split("=", 1)[1]
            if value:
                secrets |= {value, value.lstrip(".").split(".")[0]}  # cookie, payload
    assert len(twilio.requests) == 2 and len(secrets) > 8
    logged = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert "twilio.http_client" in logged and "urllib3" in logged  # we did hear them
    audit = "\n".join(f"{r.event} {r.username} {r.detail} {r.ip}" for r in events(app))
    for secret in secrets:
        assert len(secret) >= 6
        assert secret not in logged
        assert secret not in audit


def code_of(request: dict) -> str:
    from conftest import code_in
    return code_in(request)
