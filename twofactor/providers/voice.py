"""What a call says, and how a call that fetches its TwiML gets the code without a URL carrying it.

With ``PUBLIC_URL`` set, the call's URL holds only a random single-use token. The database
keeps the code for that call sealed: added, as a number modulo 10**6, to a pad that is an
HMAC of the token under a key derived from ``SECRET_KEY``. The token itself is stored only
as a SHA-256, so a dump of the database alone (or with the key) cannot unseal the code: that
also needs the token, which only Twilio's request carries. The seal is wiped when the code
is read to the caller, used, replaced or expired.

Why a pad and not AES-GCM: the secret is one 6-digit number, and each pad hides exactly one
of them, because every token is 256 fresh random bits, new for each step of each call, and never
stored. That is a one-time pad over the 10**6 possible codes: as long as the pad is unknown, the
six stored digits are equally likely to hide any code, so there is no ciphertext to attack, only
the token to find (the key alone, or the token's SHA-256 alone, does not give the pad). Nothing
is left to authenticate either: a changed seal unseals to some other code, and a call reads a
code out only after it matches the code's HMAC (``webhooks._sealed_code``), which nobody without
the key can forge. AES-GCM would add a nonce, a tag and a dependency to say the same, and its
output would not fit the six-character column.
"""
import hashlib
import hmac
import secrets

from flask import current_app, url_for
from sqlalchemy import update

from ..extensions import db
from ..models import OneTimeCode, utcnow

READINGS = 3  # the code is read three times so a person can write it down
GATE_SECONDS = 6  # how long the call waits for a key press before saying goodbye


def spoken_digits(code: str) -> str:
    """Turn ``"004217"`` into ``"0, 0, 4, 2, 1, 7"`` so each digit is read on its own."""
    return ", ".join(code)


def _say() -> dict:
    """The ``<Say>`` attributes from config: language, and voice if one is set."""
    cfg = current_app.config
    say = {"language": cfg["TWILIO_VOICE_LANGUAGE"]}
    if cfg["TWILIO_VOICE"]:
        say["voice"] = cfg["TWILIO_VOICE"]
    return say


def code_twiml(code: str, greeting: str | None = None) -> str:
    """TwiML that greets the person (by default naming the site), then reads the code slowly."""
    from twilio.twiml.voice_response import VoiceResponse  # only calls need TwiML

    say = _say()
    response = VoiceResponse()
    response.say(greeting or f"Hello, this is {current_app.config['APP_NAME']} with your "
                 "sign-in code. Do not share this code with anyone.", **say)
    for reading in range(READINGS):
        response.pause(length=1)
        response.say(("Again: " if reading else "") + spoken_digits(code) + ".", **say)
    response.say("Goodbye.", **say)
    return str(response)


def gate_twiml(action: str) -> str:
    """TwiML that reads nothing secret until a key is pressed, so voicemail never records a code."""
    from twilio.twiml.voice_response import VoiceResponse  # only calls need TwiML

    say = _say()
    response = VoiceResponse()
    gather = response.gather(num_digits=1, action=action, method="POST", timeout=GATE_SECONDS)
    gather.say(f"Hello, this is {current_app.config['APP_NAME']} with your sign-in code. Do not "
               "share this code with anyone. Press any key to hear it.", **say)
    response.say("No key was pressed, so we will not read the code. Goodbye.", **say)
    response.hangup()
    return str(response)


def goodbye_twiml() -> str:
    """TwiML for a call whose code cannot be read: used, expired, replaced or already read."""
    from twilio.twiml.voice_response import VoiceResponse  # only calls need TwiML

    response = VoiceResponse()
    response.say("This sign-in code is no longer available. Please ask for a new one. "
                 "Goodbye.", **_say())
    response.hangup()
    return str(response)


def public_url(endpoint: str, **values) -> str:
    """The address Twilio uses to reach ``endpoint``: PUBLIC_URL plus the route's path."""
    return current_app.config["PUBLIC_URL"].rstrip("/") + url_for(endpoint, **values)


def token_hash(token: str) -> str:
    """What the database keeps of a call token: enough to find the row, not to forge the URL."""
    return hashlib.sha256(token.encode()).hexdigest()


def _pad(token: str) -> int:
    """A number below 10**6 that only the app key and the call token together can make."""
    key = hmac.new(current_app.secret_key.encode(), b"call-code-seal", hashlib.sha256).digest()
    return int.from_bytes(hmac.new(key, token.encode(), hashlib.sha512).digest(), "big") % 10**6


def seal(code: str, token: str) -> str:
    """Hide ``code`` under the token's pad (a one-time pad over six digits)."""
    return f"{(int(code) + _pad(token)) % 10**6:06d}"


def unseal(sealed: str, token: str) -> str:
    """The code that ``seal(code, token)`` hid."""
    return f"{(int(sealed) - _pad(token)) % 10**6:06d}"


def call_fields(code: str) -> tuple[str, dict]:
    """A fresh single-use call token, and the columns that keep its hash and the sealed code."""
    token = secrets.token_urlsafe(32)
    return token, {"call_token": token_hash(token), "call_code_sealed": seal(code, token)}


def arm_callbacks(otp: OneTimeCode, code: str) -> dict:
    """Where Twilio reports status and fetches a call's TwiML; empty without PUBLIC_URL.

    For a call this also stores on ``otp`` the hash of a fresh call token and the sealed code.
    """
    if not current_app.config["PUBLIC_URL"]:
        return {}  # Twilio cannot reach us: the call carries its TwiML, no status callbacks
    urls = {"status_callback": public_url("twilio.twilio_status")}
    if otp.channel == "voice":
        token, fields = call_fields(code)
        for column, value in fields.items():
            setattr(otp, column, value)
        urls["call_url"] = public_url("twilio.twilio_voice", token=token)
    return urls


def wipe_dead_seals() -> None:
    """Forget the sealed code of every call whose code can no longer be used."""
    db.session.execute(
        update(OneTimeCode)
        .where(OneTimeCode.call_code_sealed.is_not(None),
               (OneTimeCode.expires_at <= utcnow()) | OneTimeCode.voided
               | OneTimeCode.used_at.is_not(None) | OneTimeCode.call_token_used
               | (OneTimeCode.failed_attempts >= current_app.config["CODE_MAX_ATTEMPTS"]))
        .values(call_code_sealed=None))
