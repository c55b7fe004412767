"""Requests as Twilio makes them to the app: form-encoded, signed with the account's Auth Token."""
from conftest import ACCOUNT_SID, AUTH_TOKEN
from twilio.request_validator import RequestValidator

PUBLIC_URL = "https://2fa.example.com"


def twilio_params(params: dict) -> dict:
    """``params`` plus the fields Twilio puts in every request."""
    return {"AccountSid": ACCOUNT_SID, "ApiVersion": "2010-04-01", **params}


def signature(url: str, params: dict, token: str = AUTH_TOKEN) -> str:
    """The X-Twilio-Signature Twilio would send with ``params`` to ``url``."""
    return RequestValidator(token).compute_signature(url, twilio_params(params))


def as_twilio(client, url: str, params: dict, token: str = AUTH_TOKEN, signed_url: str = None,
              **kwargs):
    """POST ``params`` to ``url`` (a full public URL) with Twilio's signature of it."""
    headers = {"X-Twilio-Signature": signature(signed_url or url, params, token),
               **kwargs.pop("headers", {})}
    params = twilio_params(params)
    return client.post(url.removeprefix(PUBLIC_URL), data=params, headers=headers, **kwargs)


def status(client, sid: str, state: str, **kwargs):
    """Twilio's status callback for a message (SM…) or a call (CA…)."""
    if sid.startswith("SM"):
        params = {"MessageSid": sid, "SmsSid": sid, "MessageStatus": state, "SmsStatus": state}
    else:
        params = {"CallSid": sid, "CallStatus": state}
    return as_twilio(client, f"{PUBLIC_URL}/twilio/status", params, **kwargs)
