"""How a decision's counts are read: one SELECT over the ``(key, at)`` index of the events and
the ``(key, hour)`` key of the hourly buckets, whatever the decision counts; its counts are kept
for the rest of the request, so the page that follows can say how long to wait without counting
again. limits.py decides with them.
"""
import functools
from datetime import datetime, timedelta

from flask import g, has_request_context
from sqlalchemy import Select, and_, bindparam, case, func, true
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import LimitBucket, LimitEvent

SITE_WIDE = frozenset({"send:confirmed", "send:unconfirmed"})  # counted per hour
HOUR = timedelta(hours=1)


def hour_of(moment: datetime) -> datetime:
    """The start of the hour ``moment`` falls in: a site-wide key's bucket."""
    return moment.replace(minute=0, second=0, microsecond=0)


def request_counts() -> dict:
    """This request's counts, by ("rule", key, window) or ("delay", key, since)."""
    if not has_request_context():
        return {}
    if "limit_counts" not in g:
        g.limit_counts = {}
    return g.limit_counts


def expect(rules: list) -> None:
    """Count ``rules`` too with the next counts read, for a page shown after the decision."""
    if has_request_context():
        g.limit_expected = list(rules)


def rule_id(rule) -> tuple:
    """How ``request_counts`` files the count of a Rule."""
    return ("rule", rule.key, rule.window)


def delay_id(rule) -> tuple:
    """How ``request_counts`` files the count and latest event of a Delay."""
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


def read(rules: list, delays: list, now: datetime, lookup: Select | None = None,
         values: dict | None = None):
    """Count every rule and delay not yet in ``request_counts``, in one statement over the
    (key, at) index (and the (key, hour) key of the hourly buckets); with ``lookup``, a
    one-entity SELECT built once, also return the row it finds with ``values``, read by the
    same statement."""
    seen = request_counts()
    expected = g.pop("limit_expected", []) if has_request_context() else []
    rules = [r for r in dict.fromkeys(rules + expected) if rule_id(r) not in seen]
    delays = [d for d in dict.fromkeys(delays) if delay_id(d) not in seen]
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
        seen[rule_id(r)] = int(next(counted) or 0)
        seen[("oldest",) + rule_id(r)[1:]] = next(counted)
    for d in delays:
        seen[delay_id(d)] = (int(next(counted) or 0), next(counted))
    for r in hourly:
        seen[rule_id(r)] = int(next(counted) or 0)
    return None if lookup is None else row[-1]


def frees(rule, count: int, now: datetime, seen: dict) -> datetime:
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
