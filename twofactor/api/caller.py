"""Who is calling the API: an app with a bearer token, or a browser with a cookie session (whose
unsafe calls must carry the CSRF token in an X-CSRFToken header)."""
from dataclasses import dataclass

from flask import request
from flask_login import current_user
from flask_wtf.csrf import ValidationError, validate_csrf

from ..extensions import db
from ..models import LoginSession, User
from ..signin import sessions
from .problems import Problem


@dataclass(frozen=True)
class Caller:
    """The signed-in account, and its bearer session (None for a cookie session)."""

    user: User
    bearer: LoginSession | None


def signed_in() -> Caller:
    """The caller, or a 401; a bearer token, when sent, is the only credential looked at."""
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        row = sessions.bearer_session(token.strip()) if scheme.lower() == "bearer" else None
        if row is None:
            raise Problem(401, "invalid-token", "Not signed in",
                          "The token is unknown, expired or signed out. Sign in again.")
        return Caller(db.session.get(User, row.user_id), row)
    if not current_user.is_authenticated:
        raise Problem(401, "not-signed-in", "Not signed in",
                      "Sign in first: send a bearer token, or use a cookie session.")
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        try:
            validate_csrf(request.headers.get("X-CSRFToken"))
        except ValidationError:
            raise Problem(403, "csrf-failed", "Missing or stale CSRF token",
                          "Send the csrf_token from sign-in or from /me in an X-CSRFToken "
                          "header.") from None
    return Caller(current_user._get_current_object(), None)
