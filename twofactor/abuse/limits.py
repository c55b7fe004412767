"""The abuse policy: every limit counts rows of one table, ``LimitEvent(key, at)``.

A key names what is counted: ``send:account:7``, ``send:number:+12015550123``,
``guess:account:7``, ``password:network:192.0.2.1``... A rule says how many rows of a key may
fall in a rolling window. Every decision runs under ``lock`` on the keys it counts, so the
count it reads cannot change before its own rows are written and committed, in any worker or
instance: each limit is exact.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, case, delete, func, text

from ..extensions import db
from ..models import LimitEvent, utcnow

_ADVISORY_LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))")
# Any write takes SQLite's one write lock for the whole file, even one that changes no row.
_SQLITE_WRITE_LOCK = text("UPDATE limit_event SET key = key WHERE id = 0")  # ids start at 1


class Refused(Exception):
    """A limit was hit; ``message`` tells the person when to try again."""

    def __init__(self, message: str, retry_after: int, limit: str):
        super().__init__(message)
        self.message, self.retry_after, self.limit = message, retry_after, limit


@dataclass(frozen=True)
class Rule:
    """At most ``limit`` rows of ``key`` in any ``window``; ``message`` has a {} for the wait."""

    key: str
    limit: int
    window: timedelta
    name: str
    message: str


def lock(*keys: str) -> None:
    """Serialise every decision about these keys until this transaction ends."""
    if db.session.get_bind().dialect.name == "postgresql":
        # One transaction-scoped advisory lock per key, always in the same order, so two
        # requests never wait on each other in a circle.
        for key in sorted(set(keys)):
            db.session.execute(_ADVISORY_LOCK, {"key": key})
    else:
        db.session.execute(_SQLITE_WRITE_LOCK)


def wait_words(seconds: int) -> str:
    """``95`` becomes "2 minutes": how long to wait, rounded up, in words."""
    for unit, size in (("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = -(-seconds // size)
            return f"{n} {unit}{'s' if n > 1 else ''}"
    return f"{max(seconds, 1)} second{'s' if seconds != 1 else ''}"


def _seconds_until(moment: datetime, now: datetime) -> int:
    """Whole seconds from ``now`` to ``moment``, rounded up, at least 1."""
    return max(1, int((moment - now).total_seconds() + 0.999))


def _counts(rules: list[Rule], now: datetime) -> list[int]:
    """How many rows each rule sees in its window, in one statement over the (key, at) index."""
    columns = [func.sum(case((and_(LimitEvent.key == rule.key,
                                   LimitEvent.at > now - rule.window), 1), else_=0))
               for rule in rules]
    oldest = now - max(rule.window for rule in rules)
    row = db.session.execute(db.select(*columns).where(
        LimitEvent.key.in_({rule.key for rule in rules}), LimitEvent.at > oldest)).one()
    return [int(count or 0) for count in row]


def refusal(rules: list[Rule]) -> Refused | None:
    """The first rule that refuses now, with when it frees; None if every rule allows."""
    now = utcnow()
    for rule, count in zip(rules, _counts(rules, now)):
        if count >= rule.limit:
            # The oldest row that keeps the count at the limit is the one whose slot frees first.
            frees = db.session.scalar(
                db.select(LimitEvent.at)
                .where(LimitEvent.key == rule.key, LimitEvent.at > now - rule.window)
                .order_by(LimitEvent.at).offset(count - rule.limit).limit(1))
            wait = _seconds_until(frees + rule.window, now)
            return Refused(rule.message.format(wait_words(wait)), wait, rule.name)
    return None


def check(rules: list[Rule]) -> None:
    """Raise the first refusal among ``rules``; call under ``lock`` on their keys."""
    if (refused := refusal(rules)) is not None:
        if refused.limit.startswith("global"):
            current_app.logger.critical("ALERT %s send cap reached", refused.limit)
        raise refused


def record(*keys: str, weight: int = 1) -> list[LimitEvent]:
    """Count one event (``weight`` of them) under each key; committed with the caller."""
    now = utcnow()
    events = [LimitEvent(key=key, at=now) for key in keys for _ in range(weight)]
    db.session.add_all(events)
    return events


def uncount(events: list[LimitEvent]) -> None:
    """Take back events recorded by ``record`` (a send that definitely did not happen)."""
    db.session.execute(delete(LimitEvent).where(LimitEvent.id.in_([e.id for e in events])))


def forget(*keys: str) -> int:
    """Delete every event under these keys (an operator's reset); return how many went."""
    return db.session.execute(delete(LimitEvent).where(LimitEvent.key.in_(keys))).rowcount


@dataclass(frozen=True)
class Delay:
    """After ``after`` events of ``key`` since ``since``, each further try waits ``first``,
    doubling up to ``longest``, counted from the latest event (NIST SP 800-63B throttling)."""

    key: str
    after: int
    since: datetime
    first: timedelta
    longest: timedelta
    name: str
    message: str


def delay_refusal(rule: Delay) -> Refused | None:
    """The refusal while ``rule``'s delay runs; None when a try is allowed now."""
    now = utcnow()
    count, last = db.session.execute(
        db.select(func.count(), func.max(LimitEvent.at))
        .where(LimitEvent.key == rule.key, LimitEvent.at > rule.since)).one()
    extra = count - rule.after
    if extra < 0:
        return None
    delay = min(rule.first * 2**extra, rule.longest)
    if last + delay <= now:
        return None
    wait = _seconds_until(last + delay, now)
    return Refused(rule.message.format(wait_words(wait)), wait, rule.name)

