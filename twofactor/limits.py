"""The abuse policy: send limits and the account's budget of wrong codes, kept in the database."""
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, update

from .extensions import db
from .models import FailedGuess, OneTimeCode, SendEvent, User, utcnow
from .numbers import number_prefix


class Refused(Exception):
    """A limit was hit; ``message`` tells the person when to try again."""

    def __init__(self, message: str, retry_after: int, limit: str):
        super().__init__(message)
        self.message, self.retry_after, self.limit = message, retry_after, limit


def lock_account(user_id: int) -> None:
    """Take the account's row lock so its sends and guesses run one at a time."""
    # An UPDATE locks the row in PostgreSQL and takes the write lock in SQLite, so the
    # counts read after it cannot change under us (no read-then-write race).
    db.session.execute(update(User).where(User.id == user_id)
                       .values(lock_version=User.lock_version + 1))


def wait_words(seconds: int) -> str:
    """``95`` becomes "2 minutes": how long to wait, rounded up, in words."""
    for unit, size in (("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = -(-seconds // size)
            return f"{n} {unit}{'s' if n > 1 else ''}"
    return f"{max(seconds, 1)} second{'s' if seconds != 1 else ''}"


def _retry_after(times: list[datetime], limit: int, window: timedelta, now: datetime) -> int:
    """Seconds until fewer than ``limit`` of ``times`` fall in the rolling ``window``."""
    if len(times) < limit:
        return 0
    frees_at = sorted(times)[len(times) - limit] + window
    return max(1, int((frees_at - now).total_seconds() + 0.999))


def _times(column, value, since: datetime, model=SendEvent) -> list[datetime]:
    """When the events matching ``column == value`` happened since ``since``."""
    query = db.select(model.at).where(model.at > since)
    if column is not None:
        query = query.where(column == value)
    return list(db.session.scalars(query))


def check_send(user: User, ip: str) -> None:
    """Raise Refused if a code may not be sent to ``user`` now; call under lock_account."""
    cfg, now = current_app.config, utcnow()
    cooldown = cfg["SEND_COOLDOWN"]
    recent = _times(SendEvent.user_id, user.id, now - cooldown)
    if wait := _retry_after(recent, 1, cooldown, now):
        raise Refused(f"A code was just sent. You can ask for a new one in {wait_words(wait)}.",
                      wait, "cooldown")
    rules = [(SendEvent.user_id, user.id, n, w, "account",
              "You have asked for many codes. You can ask for a new one in {}.")
             for n, w in cfg["SEND_LIMITS_ACCOUNT"]]
    rules.append((SendEvent.ip, ip, *cfg["SEND_LIMIT_IP"], "ip",
                  "Many codes were asked for from your network. Try again in {}."))
    rules.append((SendEvent.prefix, number_prefix(user.phone), *cfg["SEND_LIMIT_PREFIX"],
                  "prefix", "We are sending few codes to numbers like yours. Try again in {}."))
    rules.append((None, None, *cfg["SEND_LIMIT_GLOBAL"], "global",
                  "Sending codes is paused for everyone. Please try again in {}."))
    for column, value, limit, window, name, message in rules:
        if wait := _retry_after(_times(column, value, now - window), limit, window, now):
            if name == "global":
                current_app.logger.critical("ALERT global daily send cap of %s reached", limit)
            raise Refused(message.format(wait_words(wait)), wait, name)


def record_send(user: User, ip: str) -> SendEvent:
    """Count one send against every limit."""
    event = SendEvent(user_id=user.id, ip=ip, prefix=number_prefix(user.phone), at=utcnow())
    db.session.add(event)
    return event


def check_budget(user_id: int) -> None:
    """Raise Refused if the account has spent its wrong-code budget; call under lock_account."""
    cfg, now = current_app.config, utcnow()
    window = cfg["GUESS_WINDOW"]
    times = _times(FailedGuess.user_id, user_id, now - window, model=FailedGuess)
    if wait := _retry_after(times, cfg["GUESS_BUDGET"], window, now):
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
    in_a_row = sorted(_times(FailedGuess.user_id, user_id, start, model=FailedGuess))
    extra = len(in_a_row) - cfg["GUESS_DELAY_AFTER"]
    if extra < 0:
        return
    delay = min(cfg["GUESS_DELAY"] * 2**extra, cfg["GUESS_DELAY_MAX"])
    wait = int((in_a_row[-1] + delay - now).total_seconds() + 0.999)
    if wait > 0:
        raise Refused(f"Several wrong codes were entered in a row. For your safety, wait "
                      f"{wait_words(wait)} before trying again.", wait, "delay")


def record_failed_guess(user_id: int) -> bool:
    """Count one wrong code; True when this one spent the last of the budget."""
    db.session.add(FailedGuess(user_id=user_id, at=utcnow()))
    cfg = current_app.config
    spent = db.session.scalar(db.select(func.count()).select_from(FailedGuess).where(
        FailedGuess.user_id == user_id, FailedGuess.at > utcnow() - cfg["GUESS_WINDOW"]))
    return spent == cfg["GUESS_BUDGET"]
