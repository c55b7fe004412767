"""The development outbox: what the console sender would have texted or said, at /dev/outbox."""
from xml.etree import ElementTree

from flask import Blueprint, abort, current_app, render_template

from ..extensions import db
from ..models import OutboxMessage
from ..numbers import mask_phone
from . import phone

bp = Blueprint("outbox", __name__)
SHOWN = 50  # the newest messages and calls


def enabled() -> bool:
    """True only in debug with the console sender: the page shows live codes."""
    return current_app.debug and phone.uses_console()


@bp.route("/dev/outbox")
def outbox():
    """List the newest messages and calls first, as the phone would show or say them."""
    if not enabled():
        abort(404)  # never exists with real Twilio, in tests without debug, or in production
    sent = db.session.scalars(db.select(OutboxMessage)
                              .order_by(OutboxMessage.id.desc()).limit(SHOWN)).all()
    return render_template("outbox.html", sent=sent, said=said)


def said(twiml: str) -> list[str]:
    """The words a call's TwiML speaks, one ``<Say>`` per item, in order."""
    try:
        return [say.text or "" for say in ElementTree.fromstring(twiml).iter("Say")]
    except ElementTree.ParseError:  # TwiML fetched from a URL: only its spoken digits are known
        return []


bp.add_app_template_filter(mask_phone)


@bp.app_context_processor
def outbox_link() -> dict:
    """Let the code page point a developer to the outbox."""
    return {"outbox_enabled": enabled()}
