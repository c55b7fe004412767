"""The password step, one for the sign-in page and the JSON API: the delays, the check, the
count of failures and the audit trail."""
from .. import audit
from ..abuse import limits, policy
from ..extensions import db
from ..models import User
from . import sessions

INVALID_LOGIN = "Invalid username or password."


def check(name: str, password: str) -> User | None:
    """The account if ``password`` is right for ``name``, else None with the failure counted;
    raises limits.Refused while a delay runs."""
    network = policy.client_network(audit.client_ip())
    # Throttled by the typed name, so an unknown name is answered exactly like a known one.
    # The delays and the account are read in one statement.
    refused, user = limits.refusal_and_find(policy.password_delays(name, network),
                                            sessions.user_lookup(),
                                            sessions.user_lookup_values(name))
    if refused:
        raise refused
    if not sessions.password_ok(user, password):
        limits.record(*policy.password_keys(name, network))
        audit.record("password_failed", user)
        db.session.commit()
        return None
    return user


def purpose(user: User) -> str:
    """What the second step after a right password is for: an account whose phone was never
    confirmed finishes its sign-up there."""
    return "login" if user.phone_confirmed else "signup"


def passed(user: User) -> None:
    """Note the right password once its pending step exists, and commit both."""
    audit.record("password_ok", user)
    db.session.commit()
