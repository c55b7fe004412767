"""The seam between the sign-in flow and an external code provider (Twilio or Telnyx Verify).

The provider makes, sends and checks the code; the flow keeps only the verification id.
"""
import enum
from dataclasses import dataclass
from datetime import timedelta
from importlib import import_module
from typing import Protocol

from flask import current_app

# CODE_PROVIDER values; "local" means our own codes (codes.py) sent by phone.py.
MODULES = {"twilio-verify": "twilio_verify", "telnyx-verify": "telnyx_verify"}
PROVIDERS = ("local", *MODULES)


@dataclass(frozen=True)
class Started:
    """A verification the provider has sent a code for."""

    verification_id: str
    channel: str  # ours: "sms", "voice" or "whatsapp"
    # True when this send repeated the code of an earlier, still valid send (Twilio does so
    # within 10 minutes): the code from either message works, so say "the same code again".
    same_code: bool
    lifetime: timedelta  # how long the provider keeps the code valid from now


class Verdict(enum.Enum):
    """What the provider said about one code entered for one verification."""

    APPROVED = "approved"
    WRONG = "wrong"  # the verification is still open: the person may try again
    GONE = "gone"  # used, expired, cancelled or unknown: ask for a new code
    TOO_MANY = "too_many"  # the provider's own cap on checks was reached: ask for a new code


class Provider(Protocol):
    """What every provider module offers; errors raise ``phone.DeliveryError``."""

    CHANNELS: tuple[str, ...]

    def start(self, to: str, channel: str) -> Started: ...

    def check(self, verification_id: str, code: str) -> Verdict: ...

    def cancel(self, verification_id: str) -> None: ...


def provider() -> Provider | None:
    """The provider module CODE_PROVIDER names, or None for our own codes ("local")."""
    name = current_app.config["CODE_PROVIDER"]
    if name == "local":
        return None
    return import_module(f"{__package__}.{MODULES[name]}")
