"""The routes Twilio calls: delivery status, and the two steps of a voicemail-proof call.

Each checks ``X-Twilio-Signature`` against the public URL before it reads anything, and they
are the only routes exempt from CSRF: Twilio cannot hold our token, its signature does that
job instead.
"""
import hmac
from functools import wraps

from flask import Blueprint, Response, abort, current_app, request
from sqlalchemy import update

from ..extensions import csrf, db
from ..models import OneTimeCode, utcnow
from ..signin import codes
from . import voice

bp = Blueprint("twilio", __name__)

# How far along each status is; a late "sent" must not overwrite "delivered".
PROGRESS = {"accepted": 0, "scheduled": 0, "queued": 0, "initiated": 1, "sending": 1,
            "ringing": 2, "sent": 2, "in-progress": 3, "delivered": 4, "undelivered": 4,
            "failed": 4, "read": 5, "completed": 4, "busy": 4, "no-answer": 4, "canceled": 4}


def signed_by_twilio(view):
    """Answer 403 unless the request carries Twilio's signature for its public URL."""

    @wraps(view)
    def checked(*args, **kwargs):
        cfg = current_app.config
        signature = request.headers.get("X-Twilio-Signature", "")
        if not (cfg["PUBLIC_URL"] and cfg["TWILIO_AUTH_TOKEN"] and signature):
            abort(403)
        # Twilio signed the public URL we gave it, whatever Host and scheme the proxy in
        # front of us forwards, so this check trusts no X-Forwarded-* header.
        url = cfg["PUBLIC_URL"].rstrip("/") + request.script_root + request.path
        if request.query_string:
            url += "?" + request.query_string.decode()
        from twilio.request_validator import RequestValidator  # only Twilio's callbacks

        if not RequestValidator(cfg["TWILIO_AUTH_TOKEN"]).validate(url, request.form, signature):
            current_app.logger.warning("twilio webhook refused: bad signature on %s",
                                       request.endpoint)
            abort(403)
        return view(*args, **kwargs)

    return csrf.exempt(checked)


def twiml(document: str) -> Response:
    """A TwiML answer."""
    return Response(document, mimetype="text/xml")


@bp.post("/twilio/status")
@signed_by_twilio
def twilio_status():
    """Record how far an SMS or call got, on the code it carried."""
    sid = request.form.get("MessageSid") or request.form.get("CallSid")
    status = request.form.get("MessageStatus") or request.form.get("CallStatus")
    if sid and status in PROGRESS:
        otp = db.session.scalar(db.select(OneTimeCode).where(OneTimeCode.twilio_sid == sid))
        if otp is not None and PROGRESS[status] >= PROGRESS.get(otp.delivery_status, -1):
            otp.delivery_status = status
            db.session.commit()
    return "", 204


def _callable(token: str) -> tuple:
    """Conditions for a code whose call holds ``token`` and that may still be read out."""
    return (OneTimeCode.call_token == voice.token_hash(token),
            OneTimeCode.call_token_used.is_(False), OneTimeCode.call_code_sealed.is_not(None),
            OneTimeCode.used_at.is_(None), OneTimeCode.voided.is_(False),
            OneTimeCode.expires_at > utcnow(),
            OneTimeCode.failed_attempts < current_app.config["CODE_MAX_ATTEMPTS"])


def _sealed_code(token: str) -> tuple[OneTimeCode, str] | None:
    """The code record and its code for this call token, or None if it may not be read."""
    voice.wipe_dead_seals()
    otp = db.session.scalar(db.select(OneTimeCode).where(*_callable(token)))
    # A call can only fetch the code it was placed for (its sid is known once Twilio answered).
    if otp is None or (otp.twilio_sid and request.form.get("CallSid") != otp.twilio_sid):
        return None
    code = voice.unseal(otp.call_code_sealed, token)
    if not hmac.compare_digest(otp.code_hash, codes.hash_code(otp.id, code)):
        return None  # SECRET_KEY changed since the call was placed
    return otp, code


@bp.post("/twilio/voice/<token>")
@signed_by_twilio
def twilio_voice(token: str):
    """Step 1 of the call: ask for a key press; nothing secret is said yet."""
    found = _sealed_code(token)
    moved = None
    if found is not None:
        # Move the call on to a new single-use token; the conditional UPDATE means that of
        # two requests replaying this URL, only one gets the next step.
        fresh, fields = voice.call_fields(found[1])
        moved = db.session.execute(update(OneTimeCode).where(*_callable(token)).values(**fields))
    db.session.commit()
    if moved is None or moved.rowcount != 1:
        return twiml(voice.goodbye_twiml())
    return twiml(voice.gate_twiml(voice.public_url("twilio.twilio_voice_digits", token=fresh)))


@bp.post("/twilio/voice/<token>/digits")
@signed_by_twilio
def twilio_voice_digits(token: str):
    """Step 2 of the call: a key was pressed, so a person is listening; read the code, once."""
    found = _sealed_code(token) if request.form.get("Digits") else None
    read = None
    if found is not None:
        read = db.session.execute(update(OneTimeCode).where(*_callable(token))
                                  .values(call_token_used=True, call_code_sealed=None))
    db.session.commit()
    if read is None or read.rowcount != 1:
        return twiml(voice.goodbye_twiml())
    return twiml(voice.code_twiml(found[1], greeting="Here is your sign-in code."))
