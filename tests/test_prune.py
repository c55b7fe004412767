"""``flask --app app prune`` keeps the tables small: it removes exactly what no rule needs, in
batches, and a second run removes nothing. Time is moved, never slept."""
from datetime import timedelta

import pytest
from conftest import PASSWORD, counted
from sqlalchemy import func

from twofactor import prune as pruning
from twofactor.extensions import db
from twofactor.models import (
    AuditEvent,
    LimitEvent,
    LoginSession,
    OneTimeCode,
    OutboxMessage,
    PendingLogin,
    RememberedBrowser,
    User,
    utcnow,
)


def count(model) -> int:
    """Rows in ``model``'s table."""
    return db.session.scalar(db.select(func.count()).select_from(model))


@pytest.fixture
def two_days_of_use(app, auth, client, clock):
    """A day-old sign-in, session, counters, an abandoned sign-up and ancient audit rows; then
    a fresh sign-in now."""
    auth.login()
    auth.verify()
    auth.verify("000000")  # after success the code is used: nothing counted, nothing sent
    app.test_client().post("/signup", data={"username": "squatter", "password": PASSWORD,
                                 "confirm": PASSWORD, "phone": "+12015550166", "channel": "sms"})
    with app.app_context():
        db.session.add_all([LimitEvent(key="guess:account:1", at=utcnow()),
                            AuditEvent(event="old", at=utcnow() - timedelta(days=400)),
                            OutboxMessage(to="+12015550123", channel="sms", text="x",
                                          at=utcnow())])
        db.session.commit()
    clock.tick(timedelta(days=2))
    auth.login("bob")  # today: a pending sign-in, a code, a send
    return app


def test_prune_removes_what_no_rule_needs_and_keeps_the_rest(two_days_of_use, runner):
    app = two_days_of_use
    with app.app_context():
        before = {m: count(m) for m in (OneTimeCode, PendingLogin, LoginSession, AuditEvent,
                                        OutboxMessage, User)}
    result = runner.invoke(args=["prune"])
    assert result.exit_code == 0, result.output
    assert "       2 codes" in result.output  # alice's used one and the squatter's
    assert "       1 unconfirmed accounts" in result.output
    assert "       1 sessions" in result.output
    with app.app_context():
        assert count(OneTimeCode) == before[OneTimeCode] - 2 == 1  # bob's live code stays
        assert count(PendingLogin) == 1 and count(LoginSession) == 0
        assert count(OutboxMessage) == 0
        assert db.session.scalar(db.select(AuditEvent.event).where(AuditEvent.event == "old")) \
            is None
        assert count(AuditEvent) > 0  # recent audit events are kept
        assert db.session.scalars(db.select(User.username).order_by(User.id)).all() == [
            "alice", "bob"]
    assert counted(app, "send:account:") == 1 and counted(app, "guess:") == 0  # today's only
    assert "Removed 0 rows." in runner.invoke(args=["prune"]).output  # idempotent


def test_a_pruned_unconfirmed_username_is_free_again(two_days_of_use, runner, client):
    runner.invoke(args=["prune"])
    response = client.post("/signup", data={"username": "squatter", "password": PASSWORD,
                                            "confirm": PASSWORD, "phone": "+12015550167",
                                            "channel": "sms"})
    assert response.headers["Location"] == "/code"


def test_prune_keeps_what_the_limits_still_count(app, auth, runner, clock):
    auth.login()
    for _ in range(3):
        auth.verify("000000" if auth.last_code() != "000000" else "111111")
    clock.tick(timedelta(hours=23))
    runner.invoke(args=["prune"])
    assert counted(app, "send:account:") == 1 and counted(app, "guess:") == 3  # inside 24 h
    with app.app_context():
        assert count(OneTimeCode) == 1


def test_prune_works_in_small_batches(app, runner, clock, monkeypatch):
    monkeypatch.setattr(pruning, "BATCH", 2)
    with app.app_context():
        db.session.add_all(LimitEvent(key="send:account:1", at=utcnow() - timedelta(days=3))
                           for _ in range(5))
        db.session.commit()
    statements = []
    with app.app_context():
        from sqlalchemy import event
        listen = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listen)
        result = runner.invoke(args=["prune"])
        event.remove(db.engine, "before_cursor_execute", listen)
    assert "       5 limit counters" in result.output
    deletes = [s for s in statements if s.startswith("DELETE FROM limit_event")]
    assert len(deletes) == 3  # 2 + 2 + 1, each its own short transaction


def test_prune_forgets_remembered_browsers_past_their_lifetime(app, runner, clock):
    with app.app_context():
        alice = db.session.scalar(db.select(User).where(User.username == "alice"))
        db.session.add_all([RememberedBrowser(id="a" * 64, user_id=alice.id, created_at=utcnow()),
                            RememberedBrowser(id="b" * 64, user_id=alice.id,
                                              created_at=utcnow() - timedelta(days=31))])
        db.session.commit()
    assert "       1 remembered browsers" in runner.invoke(args=["prune"]).output
    with app.app_context():
        assert db.session.scalars(db.select(RememberedBrowser.id)).all() == ["a" * 64]
