"""Delete what no rule needs any more, in small batches so the app keeps serving meanwhile."""
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, exists, or_

from .abuse.counting import HOUR
from .extensions import db
from .models import (
    AuditEvent,
    LimitBucket,
    LimitEvent,
    LoginSession,
    OneTimeCode,
    OutboxMessage,
    PendingLogin,
    RememberedBrowser,
    User,
    WebAuthnChallenge,
    utcnow,
)
from .providers import voice

BATCH = 1000  # rows per transaction: each lock is short, whatever the backlog
KEEP_SIGN_INS = timedelta(days=1)  # finished or expired sign-ins stay a day for the audit's sake


def _delete_in_batches(model, *conditions) -> int:
    """Delete the rows of ``model`` matching ``conditions``, BATCH per commit; return how many."""
    removed = 0
    while ids := db.session.scalars(db.select(model.id).where(*conditions).limit(BATCH)).all():
        db.session.execute(delete(model).where(model.id.in_(ids)))
        db.session.commit()
        removed += len(ids)
    return removed


def _delete_old_buckets(before: datetime) -> int:
    """Delete the site-wide hourly counters of hours that ended before ``before`` (a few a day)."""
    removed = db.session.execute(delete(LimitBucket).where(LimitBucket.hour < before)).rowcount
    db.session.commit()
    return removed


def longest_window() -> timedelta:
    """The longest window any limit looks back over (README "Abuse policy")."""
    cfg = current_app.config
    rules = [cfg[name] for name in cfg if name.startswith(("SEND_LIMIT", "SIGNUP_LIMIT"))]
    pairs = [pair for rule in rules for pair in (rule if isinstance(rule, list) else [rule])]
    return max([window for _, window in pairs]
               + [cfg["SEND_COOLDOWN"], cfg["GUESS_WINDOW"], cfg["PASSWORD_WINDOW"]])


def prune(now: datetime | None = None) -> dict[str, int]:
    """Remove expired and unneeded rows; return how many of each kind went."""
    cfg, now = current_app.config, now or utcnow()
    voice.wipe_dead_seals()  # an expired code's sealed call code goes at once, not in a day
    db.session.commit()
    # Used codes feed the wrong-codes-in-a-row rule for GUESS_WINDOW, so keep them that long.
    old_sign_in = now - max(KEEP_SIGN_INS, cfg["GUESS_WINDOW"])
    abandoned = now - cfg["UNCONFIRMED_ACCOUNT_LIFETIME"]
    unconfirmed = db.select(User.id).where(User.phone_confirmed.is_(False),
                                           User.created_at < abandoned)
    removed = {
        "codes": _delete_in_batches(OneTimeCode, or_(OneTimeCode.created_at < old_sign_in,
                                                     OneTimeCode.user_id.in_(unconfirmed))),
        "pending sign-ins": _delete_in_batches(
            PendingLogin, or_(PendingLogin.expires_at < old_sign_in,
                              PendingLogin.user_id.in_(unconfirmed)),
            ~exists().where(OneTimeCode.pending_id == PendingLogin.id)),
        "sessions": _delete_in_batches(
            LoginSession, or_(LoginSession.last_seen < now - cfg["SESSION_IDLE_TIMEOUT"],
                              LoginSession.created_at < now - cfg["PERMANENT_SESSION_LIFETIME"],
                              LoginSession.user_id.in_(unconfirmed))),
        # A security-key challenge is worth nothing once expired (two minutes).
        "security key challenges": _delete_in_batches(
            WebAuthnChallenge, or_(WebAuthnChallenge.expires_at < now,
                                   WebAuthnChallenge.user_id.in_(unconfirmed))),
        # A remembered browser's cookie is ignored after its lifetime: its row is no use.
        "remembered browsers": _delete_in_batches(
            RememberedBrowser,
            RememberedBrowser.created_at < now - cfg["REMEMBER_BROWSER_LIFETIME"]),
        # Their usernames become free again; their sends still count for the network limits.
        "unconfirmed accounts": _delete_in_batches(User, User.id.in_(unconfirmed)),
        "limit counters": _delete_in_batches(LimitEvent, LimitEvent.at < now - longest_window())
        + _delete_old_buckets(now - longest_window() - HOUR),
        "audit events": _delete_in_batches(AuditEvent,
                                           AuditEvent.at < now - cfg["AUDIT_RETENTION"]),
        "outbox messages": _delete_in_batches(OutboxMessage,
                                              OutboxMessage.at < now - KEEP_SIGN_INS),
    }
    return removed
