"""The password step, one for the sign-in page and the JSON API: the delays, the check, the
count of failures and the audit trail; and finding the account a typed name means."""
from functools import cache

from sqlalchemy import Select, bindparam, or_
from werkzeug.security import check_password_hash, generate_password_hash

from .. import audit
from ..abuse import limits, policy
from ..extensions import db
from ..models import User

INVALID_LOGIN = "Invalid username or password."


def check(name: str, password: str) -> User | None:
    """The account if ``password`` is right for ``name``, else None with the failure counted;
    raises limits.Refused while a delay runs."""
    network = policy.client_network(audit.client_ip())
    # Throttled by the typed name, so an unknown name is answered exactly like a known one.
    # The delays and the account are read in one statement.
    refused, user = limits.refusal_and_find(policy.password_delays(name, network),
                                            user_lookup(),
                                            user_lookup_values(name))
    if refused:
        raise refused
    if not password_ok(user, password):
        limits.record(*policy.password_keys(name, network))
        audit.record("password_failed", user)
        db.session.commit()
        return None
    return user


@cache
def _dummy_hash() -> str:
    """A password hash to check against when the username is unknown, so both cases take as long."""
    return generate_password_hash("not-a-real-password")


def find_user(username: str) -> User | None:
    """The account named ``username``, whatever its letter case; the exact spelling wins for the
    few accounts that already clashed before names were made unique without regard to case."""
    return db.session.scalar(user_lookup(), user_lookup_values(username))


@cache
def user_lookup() -> Select:
    """``find_user``'s SELECT, built once; its values come from ``user_lookup_values``."""
    exact = User.username == bindparam("username_typed")
    return (db.select(User).where(or_(User.username_key == bindparam("username_folded"), exact))
            .order_by(exact.desc()).limit(1))


def user_lookup_values(username: str) -> dict:
    """The values of ``user_lookup``'s parameters for ``username``."""
    return {"username_typed": username, "username_folded": username.lower()}


def password_ok(user: User | None, password: str) -> bool:
    """Check the password, spending the same time whether or not the user exists."""
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return False
    return user.check_password(password)


def purpose(user: User) -> str:
    """What the second step after a right password is for: an account whose phone was never
    confirmed finishes its sign-up there."""
    return "login" if user.phone_confirmed else "signup"


def passed(user: User) -> None:
    """Note the right password once its pending step exists, and commit both."""
    audit.record("password_ok", user)
    db.session.commit()
