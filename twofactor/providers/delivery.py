"""What the code page says about delivery, from Twilio's status callbacks, and its JSON twin."""
from flask import Blueprint, abort, current_app, jsonify

from ..models import OneTimeCode
from ..signin import codes, steps

bp = Blueprint("delivery", __name__)

# (words for the person, final?, failed?) per Twilio status; None is "no news yet".
SMS = {
    None: ("Sending your text message…", False, False),
    "queued": ("Sending your text message…", False, False),
    "accepted": ("Sending your text message…", False, False),
    "scheduled": ("Sending your text message…", False, False),
    "sending": ("Sending your text message…", False, False),
    "sent": ("Sent. Your phone company is delivering it.", False, False),
    "delivered": ("Delivered.", True, False),
    "read": ("Delivered.", True, False),
    "undelivered": ("The text message could not be delivered — call me instead?", True, True),
    "failed": ("The text message could not be sent — call me instead?", True, True),
}
CALL = {
    None: ("Calling you…", False, False),
    "queued": ("Calling you…", False, False),
    "initiated": ("Calling you…", False, False),
    "ringing": ("Your phone is ringing…", False, False),
    "in-progress": ("Call answered.", False, False),
    "completed": ("The call is over. Missed the code? Call me again or text me instead.",
                  True, False),
    "busy": ("Your line was busy — text me instead?", True, True),
    "no-answer": ("The call was not answered — text me instead?", True, True),
    "failed": ("The call could not be placed — text me instead?", True, True),
    "canceled": ("The call was cancelled — text me instead?", True, True),
}
UNHEARD = ("The call ended before a key was pressed, so the code was not read — "
           "text me instead?", True, True)


def delivery_state(otp: OneTimeCode | None) -> dict | None:
    """What to tell the person about ``otp``'s delivery; None when it is not being tracked."""
    if otp is None or otp.voided or otp.provider_ref or not current_app.config["PUBLIC_URL"]:
        return None  # a Verify provider's sends report no status to us
    table = SMS if otp.channel == "sms" else CALL
    words, final, failed = table.get(otp.delivery_status, table[None])
    if otp.delivery_status == "completed" and otp.call_token and not otp.call_token_used:
        words, final, failed = UNHEARD  # the voicemail gate held: nobody pressed a key
    other = "voice" if otp.channel == "sms" else "sms"
    return {"status": otp.delivery_status or "pending", "words": words, "final": final,
            "failed": failed, "other": other,
            "offer": "Call me instead" if other == "voice" else "Text me instead"}


@bp.app_template_global()
def delivery_for(otp: OneTimeCode | None) -> dict | None:
    """The delivery status of the code shown on the code page, for templates."""
    return delivery_state(otp)


@bp.get("/code/status")
def code_status():
    """Delivery status of this browser's pending code, for the code page's script to poll."""
    pending = steps.current_pending()
    if pending is None:
        abort(404)  # tied to the pending sign-in: nothing to see for anyone else
    state = delivery_state(codes.latest_code(pending))
    if state is None:
        abort(404)
    return jsonify(state)
