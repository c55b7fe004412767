"""One-time codes: make one, keep only its HMAC, and check a typed code exactly once.

With a Verify provider (CODE_PROVIDER) the provider makes and checks the code; our row then
keeps only its verification id, and still holds the expiry, attempts and single use.
"""
import enum
import functools
import hashlib
import hmac
import re
import secrets

from flask import current_app, g, has_request_context
from sqlalchemy import bindparam, update
from sqlalchemy.orm.attributes import set_committed_value

from ..extensions import db
from ..models import OneTimeCode, PendingLogin, utcnow
from ..providers.verify import Started, Verdict, provider

CODE_DIGITS = 6
_TYPED_CODE = re.compile(r"[0-9]{6}", re.ASCII)  # ASCII only: "١٢٣٤٥٦" is not a code
PROVIDER_CODE = re.compile(r"[0-9]{4,10}", re.ASCII)  # Verify codes: 4 to 10 digits


class Check(enum.Enum):
    """What checking a typed code found."""

    OK = "ok"
    WRONG = "wrong"  # a guess was counted
    DEAD = "dead"  # no live code: expired, used, replaced or out of attempts
    REPLACED = "replaced"  # an older code of this sign-in, since replaced: not a guess


def make_code() -> str:
    """Six random digits from the OS's CSPRNG, leading zeros kept."""
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def hash_code(code_id: str, code: str) -> str:
    """HMAC-SHA256 of the code, keyed from the app secret and bound to its row."""
    key = hmac.new(current_app.secret_key.encode(), b"one-time-code", hashlib.sha256).digest()
    return hmac.new(key, f"{code_id}:{code}".encode(), hashlib.sha256).hexdigest()


def normalize(typed: str, shape: re.Pattern = _TYPED_CODE) -> str | None:
    """The ASCII digits in ``typed`` (six, or as ``shape`` says), allowing spaces and dashes;
    None if it is not a code."""
    digits = re.sub(r"[ \-]", "", typed or "")
    return digits if shape.fullmatch(digits) else None


def issue_code(pending: PendingLogin, channel: str, others: bool = True) -> tuple[OneTimeCode, str]:
    """Make a new code for ``pending``, voiding any live one (one live code per user and purpose);
    ``others`` False when the send's locked count found none (``unvoided_lookup``)."""
    if others:
        void_codes(pending.user_id, pending.purpose)
    code = make_code()
    now = utcnow()
    otp = OneTimeCode(id=secrets.token_urlsafe(32), user_id=pending.user_id,
                      pending_id=pending.id, purpose=pending.purpose, channel=channel,
                      created_at=now, expires_at=now + current_app.config["CODE_LIFETIME"])
    otp.code_hash = hash_code(otp.id, code)
    db.session.add(otp)
    db.session.flush()
    codes_of(pending).insert(0, otp)
    return otp, code


def issue_verification(pending: PendingLogin, started: Started) -> tuple[OneTimeCode, set[str]]:
    """Keep a provider's new verification for ``pending``, voiding any live code of this user
    and purpose; return the row and the verification ids nothing live holds any more."""
    replaced = void_codes(pending.user_id, pending.purpose)
    now = utcnow()
    otp = OneTimeCode(id=secrets.token_urlsafe(32), user_id=pending.user_id,
                      pending_id=pending.id, purpose=pending.purpose, channel=started.channel,
                      code_hash="", provider_ref=started.verification_id,
                      created_at=now, expires_at=now + started.lifetime)
    db.session.add(otp)
    db.session.flush()
    return otp, replaced - {started.verification_id}  # Twilio re-sends the same one


def void_codes(user_id: int, purpose: str) -> set[str]:
    """Kill every live code of this user and purpose; return the verification ids they held."""
    return _void(_void_statement("account"), {"owner": user_id, "of_purpose": purpose})


def end_pending_codes(pending: PendingLogin) -> set[str]:
    """The step is over: kill its live codes; return the verification ids they held."""
    return _void(_void_statement("step"), {"step": pending.id})


@functools.cache
def _unvoided(of: str) -> tuple:
    """Conditions for the codes of the account ``owner`` and purpose ``of_purpose`` (or of the
    step ``step``) that are neither used nor void yet. (The parameters are not named like
    columns: in an UPDATE those names would mean new values.)"""
    where = ((OneTimeCode.user_id == bindparam("owner"),
              OneTimeCode.purpose == bindparam("of_purpose")) if of == "account"
             else (OneTimeCode.pending_id == bindparam("step"),))
    return (*where, OneTimeCode.used_at.is_(None), OneTimeCode.voided.is_(False))


@functools.cache
def _void_statement(of: str):
    """The UPDATE that kills the live codes of an account and purpose, or of a step, built once."""
    return (update(OneTimeCode).where(*_unvoided(of))
            .values(voided=True, call_code_sealed=None)
            .returning(OneTimeCode.provider_ref))


@functools.cache
def unvoided_lookup():
    """A SELECT of one code that ``void_codes`` would kill, built once: the send's locked count
    reads it alongside, so a first send need not run the UPDATE."""
    return db.select(OneTimeCode).where(*_unvoided("account")).limit(1)


def unvoided_values(pending: PendingLogin) -> dict:
    """The values of ``unvoided_lookup``'s parameters for a code of ``pending``."""
    return {"owner": pending.user_id, "of_purpose": pending.purpose}


def _void(statement, values: dict) -> set[str]:
    """Kill the live codes ``statement`` matches and forget their sealed call codes."""
    return set(filter(None, db.session.execute(statement, values).scalars()))


def void(otp: OneTimeCode) -> None:
    """Kill one code (its send failed), and forget its sealed call code."""
    otp.voided, otp.call_code_sealed = True, None


def remember(pending: PendingLogin, loaded: list[OneTimeCode]) -> None:
    """Keep ``loaded``, every code of ``pending`` newest first, for the rest of the request."""
    if has_request_context():
        g.setdefault("codes_of", {})[pending.id] = loaded


def codes_of(pending: PendingLogin) -> list[OneTimeCode]:
    """Every code sent for this pending step, newest first (a few at most: the send limits),
    read once per request; the conditional UPDATEs below recheck what matters."""
    kept = g.setdefault("codes_of", {}) if has_request_context() else {}
    if pending.id not in kept:
        kept[pending.id] = list(db.session.scalars(
            db.select(OneTimeCode).where(OneTimeCode.pending_id == pending.id)
            .order_by(OneTimeCode.created_at.desc())))
    return kept[pending.id]


def latest_code(pending: PendingLogin) -> OneTimeCode | None:
    """The newest code sent for this pending sign-in, live or not (for the code page)."""
    return next(iter(codes_of(pending)), None)


def live_code(pending: PendingLogin) -> OneTimeCode | None:
    """The code that can still be used for this pending sign-in, if any."""
    now, most = utcnow(), current_app.config["CODE_MAX_ATTEMPTS"]
    return next((otp for otp in codes_of(pending) if otp.used_at is None and not otp.voided
                 and otp.expires_at > now and otp.failed_attempts < most), None)


def check_code(pending: PendingLogin, digits: str) -> tuple[Check, OneTimeCode | None]:
    """Compare ``digits`` with the live code; consume it on a match, count a guess otherwise."""
    otp = live_code(pending)
    if otp is None or otp.provider_ref is not None:
        return Check.DEAD, None
    if hmac.compare_digest(otp.code_hash, hash_code(otp.id, digits)):
        return (Check.OK if use(otp) else Check.DEAD), otp
    if was_replaced(pending, digits):
        return Check.REPLACED, otp
    return (Check.WRONG if charge(otp) else Check.DEAD), otp


def check_with_provider(pending: PendingLogin, digits: str) -> tuple[Check, OneTimeCode | None]:
    """Ask the Verify provider about ``digits`` for this step's live verification, by its id
    only; raise ``phone.DeliveryError`` when the provider cannot say."""
    otp = live_code(pending)
    if otp is None or otp.provider_ref is None:
        return Check.DEAD, None
    verdict = provider().check(otp.provider_ref, digits)
    if verdict is Verdict.APPROVED:
        return (Check.OK if use(otp) else Check.DEAD), otp
    if verdict is Verdict.WRONG:
        return (Check.WRONG if charge(otp) else Check.DEAD), otp
    void(otp)  # used, expired or out of checks at the provider: ours is dead too
    return Check.DEAD, otp


@functools.cache
def _still_live() -> tuple:
    """Conditions under which the code ``code_id`` can still be used or charged, built once."""
    return (OneTimeCode.id == bindparam("code_id"), OneTimeCode.used_at.is_(None),
            OneTimeCode.voided.is_(False), OneTimeCode.expires_at > bindparam("now"),
            OneTimeCode.failed_attempts < bindparam("most"))


def _live(otp: OneTimeCode) -> dict:
    """The values of ``_still_live``'s parameters for ``otp``, now."""
    return {"code_id": otp.id, "now": utcnow(), "most": current_app.config["CODE_MAX_ATTEMPTS"]}


@functools.cache
def _use_statement():
    """The UPDATE that consumes the code ``code_id`` while it is still live, built once."""
    return (update(OneTimeCode).where(*_still_live())
            .values(used_at=bindparam("now"), call_code_sealed=None)
            .execution_options(synchronize_session=False))


@functools.cache
def _charge_statement():
    """The UPDATE that counts a wrong entry on the code ``code_id`` while it is still live."""
    return (update(OneTimeCode).where(*_still_live())
            .values(failed_attempts=OneTimeCode.failed_attempts + 1)
            .returning(OneTimeCode.failed_attempts)
            .execution_options(synchronize_session=False))


def use(otp: OneTimeCode) -> bool:
    """Consume the code; of several requests racing with the right code, one wins."""
    live = _live(otp)
    if db.session.execute(_use_statement(), live).rowcount != 1:
        return False
    set_committed_value(otp, "used_at", live["now"])  # as the database now has it
    set_committed_value(otp, "call_code_sealed", None)
    return True


def charge(otp: OneTimeCode) -> bool:
    """Count a wrong entry against the code; False when it was no longer live."""
    charged = db.session.execute(_charge_statement(), _live(otp)).scalar()
    if charged is None:
        return False
    set_committed_value(otp, "failed_attempts", charged)  # as the database now has it
    if charged >= current_app.config["CODE_MAX_ATTEMPTS"]:
        otp.call_code_sealed = None  # the code is dead: nothing may read it out any more
    return True


def was_replaced(pending: PendingLogin, digits: str) -> bool:
    """Whether ``digits`` is an older code of this sign-in that a resend replaced."""
    return any(hmac.compare_digest(otp.code_hash, hash_code(otp.id, digits))
               for otp in codes_of(pending) if otp.voided)
