"""The audit trail: one row and one log line per sign-in step, never a secret."""
from functools import cache

from flask import current_app, has_request_context, request
from sqlalchemy import Insert, insert

from .extensions import db
from .models import AuditEvent, User


def client_ip() -> str:
    """The client's address; ProxyFix rewrites it only when TRUSTED_PROXIES says to."""
    return (request.remote_addr or "") if has_request_context() else ""  # "" from a command


@cache
def _insert() -> Insert:
    """The audit row's INSERT, built once: SQLAlchemy then reuses its compiled form."""
    return insert(AuditEvent)


def record(event: str, user: User | None = None, detail: str = "") -> None:
    """Add an audit row for ``event`` (committed with the caller's transaction) and log it."""
    row = {"event": event, "user_id": user.id if user else None,
           "username": user.username if user else None, "detail": detail, "ip": client_ip()}
    # A plain INSERT: the row is never read back, so the ORM's unit of work would only cost time.
    db.session.execute(_insert(), [row])
    current_app.logger.info("auth event=%s user=%s ip=%s %s", event,
                            row["username"] or "-", row["ip"], detail)
