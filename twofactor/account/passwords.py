"""The rules for a new password, wherever one is set: sign-up, change, reset, the commands.

Refused: shorter than 8 or longer than 128 characters, holding the username, in the shipped list
of common passwords (data/README.md), or, with PWNED_PASSWORDS_CHECK on, known to Have I Been
Pwned. That service only ever sees the first 5 hex digits of the password's SHA-1
(k-anonymity), and when it cannot answer the password is judged without it.
"""
import gzip
import hashlib
import urllib.error
import urllib.request
from functools import cache
from pathlib import Path

from flask import current_app
from wtforms.validators import ValidationError

COMMON = Path(__file__).with_name("data") / "common-passwords.txt.gz"


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords, in lower case, read once."""
    with gzip.open(COMMON, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines if line.strip())


def problem(password: str, username: str | None = None) -> str | None:
    """Why ``password`` may not be used by ``username``, in the person's words; None if it may."""
    if not 8 <= len(password) <= 128:
        return "Use 8 to 128 characters."
    if username and username.lower() in password.lower():
        return "Your password must not contain your username."
    if password.lower().strip() in common_passwords():
        return "That password is one of the most common ones. Please choose another."
    if current_app.config["PWNED_PASSWORDS_CHECK"] and pwned(password):
        return ("That password has appeared in a data breach, so attackers try it. "
                "Please choose another.")
    return None


def pwned(password: str) -> bool:
    """Whether Have I Been Pwned knows ``password``; False when it cannot be asked."""
    digest = hashlib.sha1(password.encode()).hexdigest().upper()
    prefix, suffix = digest[:5], digest[5:]
    cfg = current_app.config
    request = urllib.request.Request(cfg["PWNED_PASSWORDS_URL"].rstrip("/") + "/" + prefix,
                                     headers={"Add-Padding": "true",
                                              "User-Agent": cfg["APP_NAME"]})
    try:
        with urllib.request.urlopen(request, timeout=cfg["PWNED_PASSWORDS_TIMEOUT"]) as reply:
            body = reply.read(2_000_000).decode("ascii", "replace")
    except (OSError, ValueError) as error:  # URLError, timeouts and HTTP errors are OSErrors
        current_app.logger.warning("pwned passwords check skipped: %s", error)
        return False
    for line in body.splitlines():
        found, _, count = line.strip().partition(":")
        if found.upper() == suffix and count.strip() not in ("", "0"):  # 0: padding
            return True
    return False


class PasswordRules:
    """A form validator: the rules above, with the username from the form's ``username`` field
    or, where the form has none, from its ``account_name`` attribute."""

    def __call__(self, form, field):
        if field.errors or not field.data:  # already refused, say, for its length
            return
        name = form.username.data if "username" in form else getattr(form, "account_name", None)
        if (why := problem(field.data, name)) is not None:
            raise ValidationError(why)
