"""The abuse policy: send limits and the account's budget of wrong codes, kept in the database.

Every decision runs under ``lock``: the rows it counts cannot change until its transaction
commits, in every worker and every instance, so each limit is exact.
"""
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, text, update

from .extensions import db
from .models import FailedGuess, OneTimeCode, SendEvent, User, utcnow
from .numbers import number_prefix

_ADVISORY_LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))")


class Refused(Exception):
    """A limit was hit; ``message`` tells the person when to try again."""

    def __init__(self, message: str, retry_after: int, limit: str):
        super().__init__(message)
        self.message, self.retry_after, self.limit = message, retry_after, limit


def lock(user_id: int, *keys: str) -> None:
    """Serialise the decisions about this account and these limit keys until the commit."""
    if db.session.get_bind().dialect.name == "postgresql":
        # One transaction-scoped advisory lock per key, always taken in the same order so two
        # requests never wait on each other in a circle.
        for key in sorted({f"account:{user_id}", *keys}):
            db.session.execute(_ADVISORY_LOCK, {"key": key})
    else:
        # SQLite has one write lock for the whole file: the first write takes it, and with it
        # every key at once.
        db.session.execute(update(User).where(User.id == user_id)
                           .values(lock_version=User.lock_version + 1))


def send_keys(user: User, ip: str) -> tuple[str, ...]:
    """The limit keys a send to ``user`` from ``ip`` is counted under, for ``lock``."""
    return f"ip:{ip}", f"prefix:{number_prefix(user.phone)}", "global"


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


def _wait(model, conditions: tuple, limit: int, window: timedelta, now: datetime) -> int:
    """Seconds until fewer than ``limit`` matching rows fall in the rolling ``window``; 0 if so now.

    Counts in SQL over a (key, at) index; the boundary row is read only when the limit is hit.
    """
    in_window = (*conditions, model.at > now - window)
    count = db.session.scalar(db.select(func.count()).select_from(model).where(*in_window))
    if count < limit:
        return 0
    # The oldest row that keeps the count at the limit is the one whose slot frees first.
    frees = db.session.scalar(db.select(model.at).where(*in_window).order_by(model.at)
                              .offset(count - limit).limit(1))
    return _seconds_until(frees + window, now)


def check_send(user: User, ip: str) -> None:
    """Raise Refused if a code may not be sent to ``user`` now; call under ``lock``."""
    cfg, now = current_app.config, utcnow()
    rules = [((SendEvent.user_id == user.id,), 1, cfg["SEND_COOLDOWN"], "cooldown",
              "A code was just sent. You can ask for a new one in {}.")]
    rules += [((SendEvent.user_id == user.id,), n, window, "account",
               "You have asked for many codes. You can ask for a new one in {}.")
              for n, window in cfg["SEND_LIMITS_ACCOUNT"]]
    rules += [((SendEvent.ip == ip,), *cfg["SEND_LIMIT_IP"], "ip",
               "Many codes were asked for from your network. Try again in {}."),
              ((SendEvent.prefix == number_prefix(user.phone),), *cfg["SEND_LIMIT_PREFIX"],
               "prefix", "We are sending few codes to numbers like yours. Try again in {}."),
              ((), *cfg["SEND_LIMIT_GLOBAL"], "global",
               "Sending codes is paused for everyone. Please try again in {}.")]
    for conditions, limit, window, name, message in rules:
        if wait := _wait(SendEvent, conditions, limit, window, now):
            if name == "global":
                current_app.logger.critical("ALERT global daily send cap of %s reached", limit)
            raise Refused(message.format(wait_words(wait)), wait, name)


def record_send(user: User, ip: str) -> SendEvent:
    """Count one send against every limit."""
    event = SendEvent(user_id=user.id, ip=ip, prefix=number_prefix(user.phone), at=utcnow())
    db.session.add(event)
    return event


def check_budget(user_id: int) -> None:
    """Raise Refused if the account has spent its wrong-code budget; call under ``lock``."""
    cfg = current_app.config
    if wait := _wait(FailedGuess, (FailedGuess.user_id == user_id,), cfg["GUESS_BUDGET"],
                     cfg["GUESS_WINDOW"], utcnow()):
        raise Refused("Too many wrong codes were entered for this account. For your safety, "
                      f"phone codes are paused for {wait_words(wait)}.", wait, "budget")


def check_delay(user_id: int) -> None:
    """Raise Refused while the account waits after several wrong codes in a row (NIST 63B)."""
    cfg, now = current_app.config, utcnow()
    start = now - cfg["GUESS_WINDOW"]
    last_right = db.session.scalar(db.select(func.max(OneTimeCode.used_at))
                                   .where(OneTimeCode.user_id == user_id))
    if last_right and last_right > start:
        start = last_right  # a right code ends the run of wrong ones
    in_a_row, last = db.session.execute(
        db.select(func.count(), func.max(FailedGuess.at))
        .where(FailedGuess.user_id == user_id, FailedGuess.at > start)).one()
    extra = in_a_row - cfg["GUESS_DELAY_AFTER"]
    if extra < 0:
        return
    delay = min(cfg["GUESS_DELAY"] * 2**extra, cfg["GUESS_DELAY_MAX"])
    if last + delay > now:
        wait = _seconds_until(last + delay, now)
        raise Refused(f"Several wrong codes were entered in a row. For your safety, wait "
                      f"{wait_words(wait)} before trying again.", wait, "delay")


def record_failed_guess(user_id: int) -> bool:
    """Count one wrong code; True when this one spent the last of the budget."""
    db.session.add(FailedGuess(user_id=user_id, at=utcnow()))
    cfg = current_app.config
    spent = db.session.scalar(db.select(func.count()).select_from(FailedGuess).where(
        FailedGuess.user_id == user_id, FailedGuess.at > utcnow() - cfg["GUESS_WINDOW"]))
    return spent == cfg["GUESS_BUDGET"]
