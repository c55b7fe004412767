"""Every Twilio call: the SMS text, the call, Twilio's errors in plain words, the console sender."""
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app

from ..extensions import db
from ..models import OutboxMessage
from ..numbers import mask_phone
from .sms import one_segment
from .voice import code_twiml, spoken_digits


@dataclass
class Sent:
    """What a send handed to Twilio (or to the console)."""

    sid: str | None


class DeliveryError(Exception):
    """Twilio did not confirm the message or call; ``message`` says what the person can do.

    ``definite`` is True when Twilio refused it (an error answer), so nothing went out; False
    when the outcome is unknown (a timeout, a 5xx, an answer we cannot read): Twilio may well
    have sent it, so it must still count and its code must stay usable.
    """

    def __init__(self, message: str, twilio_code: int | None, definite: bool):
        super().__init__(message)
        self.message, self.twilio_code, self.definite = message, twilio_code, definite


def sms_body(code: str, host: str | None) -> str:
    """The text message: the code first, whose it is, a warning, then the line phones autofill from.

    It must stay one segment, so a host too long for that drops the expiry words first, then
    the "@host #code" line (phones then cannot autofill, but the code still arrives).
    """
    cfg = current_app.config
    minutes = int(cfg["CODE_LIFETIME"].total_seconds() // 60)
    words = f"{code} is your {cfg['APP_NAME']} sign-in code. Do not share this code."
    expiry = f" It expires in {minutes} minute{'s' if minutes != 1 else ''}."
    autofill = f"\n\n@{host} #{code}" if host else ""
    for body in (words + expiry + autofill, words + autofill):
        if one_segment(body):
            return body
    return words + expiry  # always fits: check_config keeps APP_NAME short and plain


def origin_host() -> str | None:
    """The host named in the SMS's "@host #code" line, which phones check before autofilling.

    Only ever from settings: the request's Host header is the client's to choose, and an
    attacker's domain there would have the phone offer the code to the attacker's site.
    """
    cfg = current_app.config
    return cfg["SMS_ORIGIN_HOST"] or (urlsplit(cfg["PUBLIC_URL"]).hostname
                                      if cfg["PUBLIC_URL"] else None)


def send_code(channel: str, to: str, code: str, status_callback: str | None = None,
              call_url: str | None = None, account: str | None = None) -> Sent:
    """Step 2 of the tutorial, send: text the code or call and read it to ``to``.

    With ``call_url`` the call fetches its TwiML from the app (voice.py); else it is inline.
    """
    if channel == "sms":
        return send_sms(to, sms_body(code, origin_host()), status_callback, account=account)
    return call(to, twiml=None if call_url else code_twiml(code), url=call_url,
                status_callback=status_callback, spoken=spoken_digits(code), account=account)


def uses_console() -> bool:
    """Whether no Twilio credentials are set, so sends go to the log instead."""
    cfg = current_app.config
    return not (cfg["TWILIO_ACCOUNT_SID"] and cfg["TWILIO_AUTH_TOKEN"])


def can_text() -> bool:
    """Whether a plain text (a security notice) can go out: by Twilio Messaging, or to the
    console in development. A Verify provider without Twilio Messaging sends codes only."""
    cfg = current_app.config
    if uses_console():
        return current_app.debug or current_app.testing
    return bool(cfg["TWILIO_FROM_NUMBER"] or cfg["TWILIO_MESSAGING_SERVICE_SID"])


def get_client():
    """The app's one Twilio client, built on first use from config."""
    client = current_app.extensions.get("twilio_client")
    if client is None:
        # The REST client (and requests) load when the first code goes out, not at start.
        from twilio.rest import Client

        cfg = current_app.config
        client = Client(cfg["TWILIO_ACCOUNT_SID"], cfg["TWILIO_AUTH_TOKEN"],
                        http_client=cfg["TWILIO_HTTP_CLIENT"])
        client.http_client.timeout = cfg["TWILIO_TIMEOUT"]
        current_app.extensions["twilio_client"] = client
    return client


def send_sms(to: str, body: str, status_callback: str | None = None,
             account: str | None = None) -> Sent:
    """Text ``body`` to ``to``; raise DeliveryError with advice if Twilio refuses.

    ``account`` names the account it is for, shown only by the development outbox.
    """
    if uses_console():
        return _to_console(to, "sms", text=body, account=account)
    cfg = current_app.config
    sender = ({"messaging_service_sid": cfg["TWILIO_MESSAGING_SERVICE_SID"]}
              if cfg["TWILIO_MESSAGING_SERVICE_SID"] else {"from_": cfg["TWILIO_FROM_NUMBER"]})
    if status_callback:
        sender["status_callback"] = status_callback
    try:
        message = get_client().messages.create(to=to, body=body, **sender)
    except twilio_failures() as error:
        raise delivery_error(error, to, "sms") from None
    return Sent(message.sid)


def call(to: str, *, twiml: str | None = None, url: str | None = None,
         status_callback: str | None = None, spoken: str = "", account: str | None = None) -> Sent:
    """Call ``to`` with inline ``twiml`` or TwiML fetched from ``url``; raise DeliveryError."""
    if uses_console():
        return _to_console(to, "voice", text=spoken, twiml=twiml or f"(fetched from {url})",
                           account=account)
    extra = {"twiml": twiml} if twiml else {"url": url, "method": "POST"}
    if status_callback:  # every step, so the code page can say "ringing", then how it ended
        extra.update(status_callback=status_callback, status_callback_method="POST",
                     status_callback_event=["initiated", "ringing", "answered", "completed"])
    try:
        placed = get_client().calls.create(
            to=to, from_=current_app.config["TWILIO_FROM_NUMBER"], **extra)
    except twilio_failures() as error:
        raise delivery_error(error, to, "voice") from None
    return Sent(placed.sid)


def _to_console(to: str, channel: str, text: str, twiml: str = "",
                account: str | None = None) -> Sent:
    """Log what would have been sent; the one place a code may reach a log, in development."""
    # In the database, so the outbox shows what every worker and instance sent.
    db.session.add(OutboxMessage(to=to, channel=channel, text=text, twiml=twiml,
                                 username=account))
    db.session.commit()
    what = "SMS" if channel == "sms" else "CALL"
    current_app.logger.warning(
        "NOT SENT (console sender, no Twilio credentials) %s to %s:\n%s%s",
        what, mask_phone(to), text, f"\nTwiML: {twiml}" if twiml else "")
    return Sent(None)


# Twilio error codes we expect, and what the person can do about each.
# {other} is the other way to get a code ("a phone call" or "a text message").
ADVICE = {
    21211: "Your phone number on file looks wrong to our provider. Please contact the site.",
    21614: "That number cannot receive text messages. Try {other} instead.",
    21610: ("This number has opted out of our texts (it replied STOP). Reply START to our "
            "number to turn texts back on, or try {other} instead."),
    21408: "We cannot send codes to your country right now. Please contact the site.",
    21612: "We could not reach your phone. Try {other} instead, or try again later.",
    20003: "Sending codes is not working on our side. Please contact the site.",
    20429: "We are sending a lot of codes right now. Try again in 60 seconds.",
}
REFUSED = "Our provider could not send your code. Try again in 60 seconds, or try {other}."
UNKNOWN = ("We could not confirm that your code was sent. It may still arrive in a minute; "
           "if it does not, ask for a new code, or try {other}.")


def twilio_failures() -> tuple:
    """A Twilio error answer, a network failure, or a 2xx answer that is not the JSON it should be."""
    import requests
    from twilio.base.exceptions import TwilioRestException, TwilioServiceException
    return (TwilioRestException, TwilioServiceException, requests.RequestException, ValueError)


def delivery_error(error: Exception, to: str, channel: str) -> DeliveryError:
    """What a Twilio or network failure means for the person, logged once without the code."""
    from twilio.base.exceptions import TwilioRestException, TwilioServiceException

    code = status = None
    if isinstance(error, (TwilioRestException, TwilioServiceException)):
        code, status = error.code, error.status
        if code == status:  # no Twilio error body (a proxy's page): only the HTTP status
            code = None
        if status == 429:
            code = code or 20429
    # Only an answer from Twilio saying no proves nothing went out; anything else may have.
    definite = status is not None and 400 <= status < 500
    current_app.logger.error("twilio %s failed: error=%s status=%s outcome=%s to=%s", channel,
                             code, status or type(error).__name__,
                             "refused" if definite else "unknown", mask_phone(to))
    other = "a phone call" if channel == "sms" else "a text message"
    advice = ADVICE.get(code, REFUSED) if definite else UNKNOWN
    return DeliveryError(advice.format(other=other), code, definite)

