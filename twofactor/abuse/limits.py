"""The abuse policy: every limit counts events of a key in a rolling window.

A key names what is counted: ``send:account:7``, ``send:number:+12015550123``,
``guess:account:7``, ``password:network:192.0.2.1``... A rule says how many events of a key may
fall in a rolling window. Each event is a ``LimitEvent(key, at)`` row, except for the site-wide
keys, which count every send of the site: those add to one ``LimitBucket(key, hour, count)`` row
per hour, so their window is summed over at most 25 rows however busy the site is (their window
starts at the top of the hour, so it may count up to an hour more than the rule says).

Every decision runs under ``lock`` on the keys it counts, so the count it reads cannot change
before its own events are written and committed, in any worker or instance: each limit is exact.
counting.py reads the counts, in one statement per decision; this module decides with them and
writes the events.
"""
import functools
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Select, bindparam, delete, insert, text, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..extensions import db
from ..models import LimitBucket, LimitEvent, utcnow
from . import counting
from .counting import expect  # noqa: F401  (views call it as limits.expect)

# Sorted in Python; the function scan hands the keys to the lock calls in that order.
_ADVISORY_LOCKS = text("SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) "
                       "FROM unnest(CAST(:keys AS text[])) AS k")


class Refused(Exception):
    """A limit was hit; ``message`` tells the person when to try again."""

    def __init__(self, message: str, retry_after: int, limit: str):
        super().__init__(message)
        self.message, self.retry_after, self.limit = message, retry_after, limit


@dataclass(frozen=True)
class Rule:
    """At most ``limit`` events of ``key`` in any ``window``; ``message`` has a {} for the wait."""

    key: str
    limit: int
    window: timedelta
    name: str
    message: str


def lock(*keys: str) -> None:
    """Serialise every decision about these keys until this transaction ends."""
    counting.request_counts().clear()  # a decision counts afresh, under its locks
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        # One transaction-scoped advisory lock per key, always in the same order, so two
        # requests never wait on each other in a circle; one statement for all of them.
        connection.execute(_ADVISORY_LOCKS, {"keys": sorted(set(keys))})
    elif not connection.connection.dbapi_connection.in_transaction:
        # SQLite has one write lock for the whole file: take it now, before the counts are
        # read. (A transaction that has written already holds it.)
        connection.exec_driver_sql("BEGIN IMMEDIATE")


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


def refusal(rules: list[Rule], delays: list["Delay"] = ()) -> Refused | None:
    """The first rule, then delay, that refuses now, with when it frees; None if all allow."""
    now, seen = utcnow(), counting.request_counts()
    counting.read(list(rules), list(delays), now)
    for rule in rules:
        count = seen[counting.rule_id(rule)]
        if count >= rule.limit:
            wait = _seconds_until(counting.frees(rule, count, now, seen), now)
            return Refused(rule.message.format(wait_words(wait)), wait, rule.name)
    for rule in delays:
        count, last = seen[counting.delay_id(rule)]
        extra = count - rule.after
        if extra < 0:
            continue
        delay = min(rule.first * 2**extra, rule.longest)
        if last + delay > now:
            wait = _seconds_until(last + delay, now)
            return Refused(rule.message.format(wait_words(wait)), wait, rule.name)
    return None


def refusal_and_find(delays: list["Delay"], lookup: Select, values: dict) -> tuple:
    """``refusal([], delays)``, and the row the one-entity SELECT ``lookup`` (built once, with
    bound parameters given in ``values``) finds or None, read in the same statement."""
    found = counting.read([], list(delays), utcnow(), lookup, values)
    return refusal([], delays), found


def check(rules: list[Rule], lookup: Select | None = None, values: dict | None = None):
    """Raise the first refusal among ``rules``; call under ``lock`` on their keys. With
    ``lookup`` (as for ``refusal_and_find``), return the row it finds, read with the counts."""
    found = None if lookup is None else counting.read(list(rules), [], utcnow(), lookup, values)
    if (refused := refusal(rules)) is not None:
        if refused.limit.startswith("global"):
            current_app.logger.critical("ALERT %s send cap reached", refused.limit)
        raise refused
    return found


@dataclass
class Counted:
    """What ``record`` counted, so that ``uncount`` can take it back: (key, time, how many)."""

    events: list[tuple[str, datetime, int]]
    hourly: list[tuple[str, datetime, int]]


def record(*keys: str, weight: int = 1) -> Counted:
    """Count one event (``weight`` of them) under each key; committed with the caller."""
    now = utcnow()
    events = [(key, now, weight) for key in keys if key not in counting.SITE_WIDE]
    if events:  # one statement for all of them
        db.session.execute(insert(LimitEvent), [{"key": key, "at": now} for key, _, n in events
                                                for _ in range(n)])
    hourly = [(key, counting.hour_of(now), weight) for key in keys if key in counting.SITE_WIDE]
    for key, hour, n in hourly:
        _add_to_bucket(key, hour, n)
    seen = counting.request_counts()
    for counted in list(seen):  # this request's own counts stay exact
        if counted[1] in keys:
            if counted[0] == "rule":
                seen[counted] += weight
            elif counted[0] == "oldest":
                seen[counted] = seen[counted] or now
            else:
                seen[counted] = (seen[counted][0] + weight, now)
    return Counted(events, hourly)


def _add_to_bucket(key: str, hour: datetime, n: int) -> None:
    """Add ``n`` to the bucket of ``key`` and ``hour``, making it if it is the hour's first."""
    dialect = db.session.get_bind().dialect.name
    db.session.execute(_bucket_upsert(dialect), {"bucket": key, "starts": hour, "added": n})


@functools.cache
def _bucket_upsert(dialect: str):
    """The bucket's INSERT ... ON CONFLICT DO UPDATE in ``dialect``, built once."""
    dialect_insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    added = bindparam("added")
    return (dialect_insert(LimitBucket)
            .values(key=bindparam("bucket"), hour=bindparam("starts"), count=added)
            .on_conflict_do_update(index_elements=["key", "hour"],
                                   set_={"count": LimitBucket.count + added}))


def uncount(counted: Counted) -> None:
    """Take back what ``record`` counted (a send that definitely did not happen)."""
    for key, at, n in counted.events:  # events of one key and time are alike: any n will do
        db.session.execute(delete(LimitEvent).where(LimitEvent.id.in_(
            db.select(LimitEvent.id).where(LimitEvent.key == key, LimitEvent.at == at).limit(n))))
    for key, hour, n in counted.hourly:
        db.session.execute(update(LimitBucket)
                           .where(LimitBucket.key == key, LimitBucket.hour == hour)
                           .values(count=LimitBucket.count - n))
    counting.request_counts().clear()


def forget(*keys: str) -> int:
    """Delete every event under these keys (an operator's reset); return how many went."""
    counting.request_counts().clear()
    gone = db.session.execute(_forget_statement(), {"keys": list(keys)}).rowcount
    if hourly := [key for key in keys if key in counting.SITE_WIDE]:
        gone += db.session.execute(delete(LimitBucket).where(LimitBucket.key.in_(hourly))).rowcount
    return gone


@functools.cache
def _forget_statement():
    """The DELETE of every event under the keys ``keys``, built once."""
    return delete(LimitEvent).where(LimitEvent.key.in_(bindparam("keys", expanding=True)))


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
    return refusal([], [rule])
