"""The tables exactly as ``create_all`` made them at the last release before migrations (311d71e).

A frozen copy with its own metadata: the migration tests build this schema, fill it, and check
that ``flask db upgrade`` adopts it with every row.
"""
import secrets
from datetime import datetime, timezone

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    """Current UTC time, naive, as SQLite stores it."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Base(DeclarativeBase):
    """Its own metadata, apart from the app's, and no naming convention (as then)."""


def new_token() -> str:
    """An unguessable 256-bit id for rows whose id travels in a session or a URL."""
    return secrets.token_urlsafe(32)


class User(Base):
    """An account: username, password hash and the confirmed phone number."""

    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    phone: Mapped[str] = mapped_column(String(20))  # E.164
    preferred_channel: Mapped[str] = mapped_column(String(8), default="sms")
    phone_confirmed: Mapped[bool] = mapped_column(default=False)
    # Touched at the start of every send or guess so those run one at a time per account.
    lock_version: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PendingLogin(Base):
    """The step between a correct password and a correct code; its id is all the cookie holds."""

    __tablename__ = "pending_login"

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_token)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    purpose: Mapped[str] = mapped_column(String(8))  # "signup" or "login"
    next_url: Mapped[str | None] = mapped_column(String(512))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    done: Mapped[bool] = mapped_column(default=False)


class OneTimeCode(Base):
    """A sent code, kept only as an HMAC, bound to one pending sign-in and purpose."""

    __tablename__ = "one_time_code"

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_token)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    pending_id: Mapped[str] = mapped_column(ForeignKey("pending_login.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(8))
    channel: Mapped[str] = mapped_column(String(8))  # "sms" or "voice"
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    failed_attempts: Mapped[int] = mapped_column(default=0)
    used_at: Mapped[datetime | None]
    voided: Mapped[bool] = mapped_column(default=False)  # replaced, or its send failed
    # Delivery tracking (Twilio status callbacks) and the voice call's one-time URL id.
    twilio_sid: Mapped[str | None] = mapped_column(String(64), index=True)
    delivery_status: Mapped[str | None] = mapped_column(String(16))
    call_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    call_token_used: Mapped[bool] = mapped_column(default=False)
    # The code sealed for the fetched call (see voice.py), wiped once read or dead.
    call_code_sealed: Mapped[str | None] = mapped_column(String(6))


class SendEvent(Base):
    """One code handed to Twilio, counted by the send limits."""

    __tablename__ = "send_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(index=True)
    ip: Mapped[str] = mapped_column(String(64), index=True)
    prefix: Mapped[str] = mapped_column(String(20), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class FailedGuess(Base):
    """One wrong code typed after a correct password, counted by the account budget."""

    __tablename__ = "failed_guess"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class LoginSession(Base):
    """A signed-in browser; deleting the row signs it out even if its cookie was copied."""

    __tablename__ = "login_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_token)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEvent(Base):
    """One step of a sign-in, for the operator; never holds a code, password or token."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(index=True)
    username: Mapped[str | None] = mapped_column(String(64))
    event: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(String(200), default="")
    ip: Mapped[str] = mapped_column(String(64), default="")
