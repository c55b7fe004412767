"""The abuse policy: every limit counts events of a key in a rolling window.

A key names what is counted: ``send:account:7``, ``send:number:+12015550123``,
``guess:account:7``, ``password:network:192.0.2.1``... A rule says how many events of a key may
fall in a rolling window. Each event is a ``LimitEvent(key, at)`` row, except for the site-wide
keys, which count every send of the site: those add to one ``LimitBucket(key, hour, count)`` row
per hour, so their window is summed over at most 25 rows however busy the site is (their window
starts at the top of the hour, so it may count up to an hour more than the rule says).

Every decision runs under ``lock`` on the keys it counts, so the count it reads cannot change
before its own events are written and committed, in any worker or instance: each limit is exact.
The counts one decision reads are kept for the rest of the request (and kept up to date by its
own ``record``), so the page that follows can say how long to wait without counting again.
"""
import functools
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, g, has_request_context
from sqlalchemy import Select, and_, bindparam, case, delete, func, insert, text, true, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import LimitBucket, LimitEvent, utcnow

# Sorted in Python; the function scan hands the keys to the lock calls in that order.
_ADVISORY_LOCKS = text("SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) "
                       "FROM unnest(CAST(:keys AS text[])) AS k")
SITE_WIDE = frozenset({"send:confirmed", "send:unconfirmed"})  # counted per hour
HOUR = timedelta(hours=1)


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
    _seen().clear()  # a decision counts afresh, under its locks
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


def hour_of(moment: datetime) -> datetime:
    """The start of the hour ``moment`` falls in: a site-wide key's bucket."""
    return moment.replace(minute=0, second=0, microsecond=0)


def _seen() -> dict:
    """This request's counts, by ("rule", key, window) or ("delay", key, since)."""
    if not has_request_context():
        return {}
    if "limit_counts" not in g:
        g.limit_counts = {}
    return g.limit_counts


def expect(rules: list["Rule"]) -> None:
    """Count ``rules`` too with the next counts read, for a page shown after the decision."""
    if has_request_context():
        g.limit_expected = list(rules)


def _rule_id(rule: Rule) -> tuple:
    return ("rule", rule.key, rule.window)


def _delay_id(rule: "Delay") -> tuple:
    return ("delay", rule.key, rule.since)


@functools.cache
def _counting_statement(events: int, delays: int, hourly: int) -> Select:
    """The counting SELECT for so many rules, delays and site-wide rules, built once per shape:
    keys and times are bound parameters, and building the expression costs more than running it."""
    at, key = LimitEvent.at, LimitEvent.key
    columns = []
    for i in range(events):  # the count, and its oldest event: the boundary at the limit
        hit = and_(key == bindparam(f"ek{i}"), at > bindparam(f"es{i}"))
        columns += [func.sum(case((hit, 1), else_=0)), func.min(case((hit, at)))]
    for i in range(delays):  # the count, and its latest event: when the wait started
        hit = and_(key == bindparam(f"dk{i}"), at > bindparam(f"ds{i}"))
        columns += [func.sum(case((hit, 1), else_=0)), func.max(case((hit, at)))]
    columns += [db.select(func.coalesce(func.sum(LimitBucket.count), 0))
                .where(LimitBucket.key == bindparam(f"hk{i}"),
                       LimitBucket.hour >= bindparam(f"hs{i}")).scalar_subquery()
                for i in range(hourly)]
    query = db.select(*columns)
    if events or delays:
        query = query.where(key.in_(bindparam("keys", expanding=True)), at > bindparam("oldest"))
    return query


@functools.cache
def _counting_along(events: int, delays: int, hourly: int, lookup: Select) -> Select:
    """The counting SELECT with the row ``lookup`` finds (or NULLs) beside its counts."""
    counts = _counting_statement(events, delays, hourly).subquery("counts")
    found = lookup.subquery("found")
    entity = aliased(lookup.column_descriptions[0]["entity"], found)
    return db.select(counts, entity).select_from(counts).outerjoin(found, true())


def _count(rules: list[Rule], delays: list["Delay"], now: datetime, seen: dict,
           lookup: Select | None = None, values: dict | None = None):
    """Count every rule and delay not yet in ``seen``, in one statement over the (key, at)
    index (and the (key, hour) key of the hourly buckets); with ``lookup``, a one-entity SELECT
    built once, also return the row it finds with ``values``, read by the same statement."""
    expected = g.pop("limit_expected", []) if has_request_context() else []
    rules = [r for r in dict.fromkeys(rules + expected) if _rule_id(r) not in seen]
    delays = [d for d in dict.fromkeys(delays) if _delay_id(d) not in seen]
    if not rules and not delays:
        return None if lookup is None else db.session.scalar(lookup, values)
    events = [r for r in rules if r.key not in SITE_WIDE]
    hourly = [r for r in rules if r.key in SITE_WIDE]
    params = {}
    if events or delays:  # the rows any of them may count, found by the (key, at) index
        params = {"keys": sorted({r.key for r in events} | {d.key for d in delays}),
                  "oldest": min([now - r.window for r in events] + [d.since for d in delays])}
    for i, r in enumerate(events):
        params |= {f"ek{i}": r.key, f"es{i}": now - r.window}
    for i, d in enumerate(delays):
        params |= {f"dk{i}": d.key, f"ds{i}": d.since}
    for i, r in enumerate(hourly):
        params |= {f"hk{i}": r.key, f"hs{i}": hour_of(now - r.window)}
    shape = (len(events), len(delays), len(hourly))
    if lookup is None:
        row = db.session.execute(_counting_statement(*shape), params).one()
    else:
        row = db.session.execute(_counting_along(*shape, lookup), params | values).one()
    counted = iter(row)
    for r in events:
        seen[_rule_id(r)] = int(next(counted) or 0)
        seen[("oldest",) + _rule_id(r)[1:]] = next(counted)
    for d in delays:
        seen[_delay_id(d)] = (int(next(counted) or 0), next(counted))
    for r in hourly:
        seen[_rule_id(r)] = int(next(counted) or 0)
    return None if lookup is None else row[-1]


def _frees(rule: Rule, count: int, now: datetime, seen: dict) -> datetime:
    """When the oldest of ``rule``'s counted events leaves its window, bringing it under the
    limit; read only when the limit is reached."""
    oldest = seen.get(("oldest", rule.key, rule.window))
    if rule.key not in SITE_WIDE and count == rule.limit and oldest is not None:
        return oldest + rule.window
    if rule.key not in SITE_WIDE:
        return db.session.scalar(
            db.select(LimitEvent.at)
            .where(LimitEvent.key == rule.key, LimitEvent.at > now - rule.window)
            .order_by(LimitEvent.at).offset(count - rule.limit).limit(1)) + rule.window
    buckets = db.session.execute(
        db.select(LimitBucket.hour, LimitBucket.count)
        .where(LimitBucket.key == rule.key, LimitBucket.hour >= hour_of(now - rule.window))
        .order_by(LimitBucket.hour)).all()
    for hour, n in buckets:
        count -= n
        if count < rule.limit:
            return hour + HOUR + rule.window
    return now + HOUR  # every bucket went meanwhile: try again soon


def refusal(rules: list[Rule], delays: list["Delay"] = ()) -> Refused | None:
    """The first rule, then delay, that refuses now, with when it frees; None if all allow."""
    now, seen = utcnow(), _seen()
    _count(list(rules), list(delays), now, seen)
    for rule in rules:
        count = seen[_rule_id(rule)]
        if count >= rule.limit:
            wait = _seconds_until(_frees(rule, count, now, seen), now)
            return Refused(rule.message.format(wait_words(wait)), wait, rule.name)
    for rule in delays:
        count, last = seen[_delay_id(rule)]
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
    found = _count([], list(delays), utcnow(), _seen(), lookup, values)
    return refusal([], delays), found


def check(rules: list[Rule], lookup: Select | None = None, values: dict | None = None):
    """Raise the first refusal among ``rules``; call under ``lock`` on their keys. With
    ``lookup`` (as for ``refusal_and_find``), return the row it finds, read with the counts."""
    found = None if lookup is None else _count(list(rules), [], utcnow(), _seen(), lookup, values)
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
    events = [(key, now, weight) for key in keys if key not in SITE_WIDE]
    if events:  # one statement for all of them
        db.session.execute(insert(LimitEvent), [{"key": key, "at": now} for key, _, n in events
                                                for _ in range(n)])
    hourly = [(key, hour_of(now), weight) for key in keys if key in SITE_WIDE]
    for key, hour, n in hourly:
        _add_to_bucket(key, hour, n)
    seen = _seen()
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
        db.session.execute(update(LimitBucket).where(LimitBucket.key == key, LimitBucket.hour == hour)
                           .values(count=LimitBucket.count - n))
    _seen().clear()


def forget(*keys: str) -> int:
    """Delete every event under these keys (an operator's reset); return how many went."""
    _seen().clear()
    gone = db.session.execute(_forget_statement(), {"keys": list(keys)}).rowcount
    if hourly := [key for key in keys if key in SITE_WIDE]:
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
