"""Security notices by text message: "An authenticator app was added… Not you? …"."""
from flask import current_app

from . import audit
from .abuse import limits, policy
from .extensions import db
from .models import User
from .providers import phone

NOT_YOU = " Not you? Reset your password and check your security page."


def notify(user: User, text: str, to: str | None = None) -> None:
    """Text ``user`` a notice: only to a confirmed number (``to``, the number just replaced, or
    the account's own), and within the send limits.

    Commits: the notice is counted before the slow send, like a code.
    """
    if not user.phone_confirmed:
        return
    if not phone.can_text():  # production with a Verify provider and no Twilio Messaging
        audit.record("notice_skipped", user, "no sender")
        db.session.commit()
        return
    keys = policy.notice_keys(user)
    limits.lock(*keys)
    if (refused := limits.refusal(policy.notice_rules(user))) is not None:
        audit.record("notice_skipped", user, refused.limit)
        db.session.commit()
        return
    limits.record(*keys)
    db.session.commit()
    try:
        # Named, so the person knows which site; one segment, as APP_NAME is at most 30 characters.
        phone.send_sms(to or user.phone, f"{current_app.config['APP_NAME']}: {text}",
                       account=user.username)
    except phone.DeliveryError:
        pass  # already logged by phone; the notice is a courtesy, the change stands either way


def changed(user: User, what: str) -> None:
    """The notice for a change on the security page: what happened, then "Not you? …"."""
    notify(user, what + NOT_YOU)
