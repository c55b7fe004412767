"""Authenticator apps (RFC 6238 TOTP, via pyotp): set one up, show its key, check its codes."""
import base64
import enum
import hashlib
import hmac
import re
import secrets
import time
from urllib.parse import quote, urlencode

from markupsafe import Markup
from sqlalchemy import or_, update

from ..extensions import db
from ..models import AuthenticatorApp, User, utcnow
from . import secretbox

STEP_SECONDS = 30  # RFC 6238's default, the only period every authenticator app honours
DIGITS = 6
_TYPED_CODE = re.compile(r"[0-9]{6}", re.ASCII)  # ASCII only: "١٢٣٤٥٦" is not a code


class TotpCheck(enum.Enum):
    """What checking a typed authenticator code found."""

    OK = "ok"
    WRONG = "wrong"  # not the code of this step or the one before: a guess
    REPLAYED = "replayed"  # the right code of a step already used (or older): not a guess


class AlreadyEnabled(Exception):
    """The account has a working authenticator app; remove it before setting up another."""


def new_secret() -> str:
    """A fresh 160-bit key (RFC 4226's recommended length), in base32 as apps expect."""
    return base64.b32encode(secrets.token_bytes(20)).decode()


def code_at(secret: str, t: float, digits: int = DIGITS) -> str:
    """The code an authenticator app shows at Unix time ``t``."""
    return _code(secret, int(t) // STEP_SECONDS, digits)


def _code(secret: str, step: int, digits: int = DIGITS) -> str:
    """The code of one 30-second step: HOTP (HMAC-SHA-1) of the step number."""
    import pyotp  # loaded by the pages that use an app, not by every worker at start

    return pyotp.TOTP(secret, digits=digits, digest=hashlib.sha1,
                      interval=STEP_SECONDS).generate_otp(step)


def begin_setup(user: User) -> tuple[AuthenticatorApp, str]:
    """A new, not yet enabled app for ``user`` with a fresh sealed key; (row, plain key).

    An earlier unfinished set-up is replaced; an enabled app raises ``AlreadyEnabled``.
    """
    earlier = db.session.scalar(db.select(AuthenticatorApp)
                                .where(AuthenticatorApp.user_id == user.id))
    if earlier is not None:
        if earlier.enabled_at is not None:
            raise AlreadyEnabled(f"user {user.id} already has an authenticator app")
        db.session.delete(earlier)
        db.session.flush()  # the old row goes before the new one takes its user_id
    secret = new_secret()
    row = AuthenticatorApp(user_id=user.id, secret_sealed=secretbox.seal(secret))
    db.session.add(row)
    db.session.flush()
    return row, secret


def secret_of(app_row: AuthenticatorApp) -> str:
    """The plain key of ``app_row``; re-sealed under the current key if an old one sealed it."""
    secret, stale = secretbox.unseal(app_row.secret_sealed)
    if stale:
        # the next rotation may drop the old key from SECRET_KEY_FALLBACKS
        app_row.secret_sealed = secretbox.seal(secret)
    return secret


def provisioning_uri(secret: str, username: str, issuer: str) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code (Google's Key Uri Format)."""
    label = f"{quote(issuer, safe='')}:{quote(username, safe='')}"
    query = urlencode({"secret": secret, "issuer": issuer}, quote_via=quote)
    return f"otpauth://totp/{label}?{query}"


def qr_svg(uri: str) -> Markup:
    """The URI as an inline SVG QR code, so no request ever carries the key in its URL."""
    # 5 px per module and the standard 4-module quiet zone scan from a laptop screen; a white
    # background keeps the contrast on a dark page
    import segno

    svg = segno.make(uri, error="m", micro=False).svg_inline(
        scale=5, border=4, dark="#000", light="#fff", svgclass="qr",
        title="QR code for your authenticator app")
    return Markup(svg.replace("<svg ", '<svg role="img" '
                              'aria-label="QR code for your authenticator app" ', 1))


def grouped(secret: str) -> str:
    """The key in groups of four, for typing it by hand: ``ABCD EFGH ...``."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def normalize(typed: str) -> str | None:
    """The six ASCII digits in ``typed``, allowing spaces and dashes; None if it is not a code."""
    digits = re.sub(r"[ \-]", "", typed or "")
    return digits if _TYPED_CODE.fullmatch(digits) else None


def check(app_row: AuthenticatorApp, typed: str) -> TotpCheck:
    """Whether ``typed`` is the app's code now; a right code is used up, with every older one."""
    code = normalize(typed)
    if code is None:
        return TotpCheck.WRONG
    secret = secret_of(app_row)
    now = int(time.time()) // STEP_SECONDS
    # Steps T and T-1 only, a deliberate choice: every step accepted is one more chance for a
    # guess and more life for a phished code. T-1 covers a code typed as it rolled over (or a
    # phone clock up to 30 s slow); T+1 would only help a fast clock, which network time makes
    # rare. Both steps are compared, whatever the first gives.
    matched = [step for step in (now, now - 1) if hmac.compare_digest(_code(secret, step), code)]
    if not matched:
        return TotpCheck.WRONG
    step = max(matched)
    # Conditional UPDATE: of several requests racing with one code, exactly one wins, and a
    # step at or before the last used one never counts again.
    won = db.session.execute(
        update(AuthenticatorApp)
        .where(AuthenticatorApp.id == app_row.id,
               or_(AuthenticatorApp.last_step.is_(None), AuthenticatorApp.last_step < step))
        .values(last_step=step)
        .execution_options(synchronize_session=False))
    db.session.refresh(app_row)  # last_step as the database now has it
    return TotpCheck.OK if won.rowcount == 1 else TotpCheck.REPLAYED


def enable(app_row: AuthenticatorApp, typed: str) -> bool:
    """Finish set-up: a right code proves the app holds the key, and turns the app on."""
    if check(app_row, typed) is not TotpCheck.OK:
        return False
    if app_row.enabled_at is None:
        app_row.enabled_at = utcnow()
        db.session.flush()
    return True
