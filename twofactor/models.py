"""Database tables: accounts, pending sign-ins, one-time codes, sessions and the audit trail.

Every change here ships with a migration (``flask --app app db migrate``, see migrations/).
Limits count rows by (key, time), so those tables have composite indexes on exactly that.
"""
import hashlib
import secrets
from datetime import datetime, timezone

from flask_login import UserMixin
from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, validates
from werkzeug.security import check_password_hash, generate_password_hash

from .extensions import db


def utcnow() -> datetime:
    """Current UTC time, naive, as SQLite stores it."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def new_token() -> str:
    """An unguessable 256-bit id for rows whose id travels in a session or a URL."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What the database keeps of a token a browser holds: enough to find the row, not to use it."""
    return hashlib.sha256(token.encode()).hexdigest()


class User(UserMixin, db.Model):
    """An account: username, password hash and the confirmed phone number."""

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    # The username in lower case, unique, so "Alice" cannot sign up next to "alice". Empty
    # (NULL) only for an account that already clashed before the rule existed.
    username_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    phone: Mapped[str] = mapped_column(String(20))  # E.164
    preferred_channel: Mapped[str] = mapped_column(String(8), default="sms")
    phone_confirmed: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)  # prune finds
    # accounts whose phone was never confirmed by their age
    # The factor the second step opens on: "phone" or "app"; the last one that worked.
    usual_factor: Mapped[str] = mapped_column(String(16), default="phone",
                                              server_default="phone")
    # When a second factor last worked: it ends a run of wrong codes (the delay starts over).
    factor_ok_at: Mapped[datetime | None]

    @validates("username")
    def _keep_username_key(self, _key: str, username: str) -> str:
        """Keep ``username_key`` in step with the name."""
        self.username_key = username.lower()
        return username

    def set_password(self, password: str) -> None:
        """Store a salted hash of ``password``."""
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        """Whether ``password`` matches the stored hash."""
        return check_password_hash(self.password_hash, password)


class PendingLogin(db.Model):
    """The step between a correct password and a correct code; the cookie holds a token whose
    hash is the id, so a database reader cannot ride a pending sign-in."""

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # token_hash(token)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    # "signup", "login", "stepup" (a signed-in person confirms it's them) or "recovery"
    purpose: Mapped[str] = mapped_column(String(8))
    next_url: Mapped[str | None] = mapped_column(String(512))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    done: Mapped[bool] = mapped_column(default=False)
    # Factors already proved in this step, e.g. "phone" (recovery needs two of them).
    proved: Mapped[str] = mapped_column(String(32), default="", server_default="")
    # "newphone": the number being confirmed, E.164; the account's own stays until it is.
    new_phone: Mapped[str | None] = mapped_column(String(20))


class OneTimeCode(db.Model):
    """A sent code, kept only as an HMAC, bound to one pending sign-in and purpose; or, with a
    Verify provider, the provider's verification (its id, never the code)."""

    __table_args__ = (Index("ix_one_time_code_user_id_purpose", "user_id", "purpose"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_token)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    pending_id: Mapped[str] = mapped_column(ForeignKey("pending_login.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(8))
    channel: Mapped[str] = mapped_column(String(8))  # "sms", "voice" or "whatsapp"
    code_hash: Mapped[str] = mapped_column(String(64))  # "" for a provider's code: never seen
    # The Verify provider's verification id (Twilio's VE…, Telnyx's UUID); None for our codes.
    provider_ref: Mapped[str | None] = mapped_column(String(64), index=True)
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


class AuthenticatorApp(db.Model):
    """An account's authenticator app (TOTP): its secret, sealed (see factors/secretbox.py)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), unique=True)
    secret_sealed: Mapped[str] = mapped_column(Text)
    # The last 30-second step whose code was used: it and every older one are refused.
    last_step: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    enabled_at: Mapped[datetime | None]  # None while set-up waits for a first right code


class BackupCode(db.Model):
    """One backup code, kept only as a salted hash; used once."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]


class SecurityKey(db.Model):
    """A security key or passkey (WebAuthn credential): its id and public key, never a secret."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))  # the person's label, e.g. "blue YubiKey"
    # The authenticator's id for the credential (at most 1023 bytes by the spec); unique, so one
    # key can never belong to two accounts.
    credential_id: Mapped[bytes] = mapped_column(LargeBinary(1023), unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)  # COSE-encoded
    # The authenticator's use counter; it must go up, or stay 0 for keys that keep none.
    sign_count: Mapped[int] = mapped_column(default=0)
    transports: Mapped[str] = mapped_column(String(64), default="")  # e.g. "internal,usb"
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]


class WebAuthnChallenge(db.Model):
    """A challenge handed to the browser, for one account, purpose and session; used once."""

    __tablename__ = "webauthn_challenge"

    # sha256 of the challenge: the browser echoes the challenge back, so that finds the row.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    purpose: Mapped[str] = mapped_column(String(8))  # "register", "signin" or "stepup"
    # The pending sign-in or session it was made for: another browser's answer is refused.
    bound_to: Mapped[str] = mapped_column(String(64))
    challenge: Mapped[bytes] = mapped_column(LargeBinary(64))
    expires_at: Mapped[datetime] = mapped_column(index=True)  # prune
    used: Mapped[bool] = mapped_column(default=False)


class LimitEvent(db.Model):
    """One thing a limit counts (a send, a wrong code, a failed password, a sign-up) under a key
    such as ``send:account:7`` or ``password:network:192.0.2.0``; see limits.py."""

    __table_args__ = (Index("ix_limit_event_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(96))
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)  # prune


class LimitBucket(db.Model):
    """How many events of a site-wide key (``send:confirmed``, ``send:unconfirmed``) fell in
    one hour: a window is summed over at most 25 rows, however many sends it holds."""

    key: Mapped[str] = mapped_column(String(96), primary_key=True)
    hour: Mapped[datetime] = mapped_column(primary_key=True)  # the hour's start, UTC
    count: Mapped[int] = mapped_column(default=0)


class LoginSession(db.Model):
    """A signed-in browser or app; deleting the row signs it out even if its cookie or token was
    copied. The id is the hash of the token in the cookie, or of the app's bearer token."""

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # token_hash(token)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow, index=True)  # prune
    # When this browser last proved a second factor; changes on the security page need it
    # within STEP_UP_WINDOW.
    factor_at: Mapped[datetime | None]
    # "browser" (a cookie) or "bearer" (a token an app sends in the Authorization header).
    kind: Mapped[str] = mapped_column(String(8), default="browser", server_default="browser")
    # For the security page's list: "Firefox on Windows" and the client network at sign-in.
    user_agent: Mapped[str] = mapped_column(String(64), default="", server_default="")
    network: Mapped[str] = mapped_column(String(64), default="", server_default="")


class RememberedBrowser(db.Model):
    """A browser whose second step is skipped at sign-in for 30 days (never the password, never
    a step-up). Its cookie holds a random browser id; the id here is that id's hash."""

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # token_hash(browser id)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    user_agent: Mapped[str] = mapped_column(String(64), default="")  # "Firefox on Windows"
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)  # prune
    last_used_at: Mapped[datetime | None]


class AuditEvent(db.Model):
    """One step of a sign-in, for the operator; never holds a code, password or token."""

    __table_args__ = (Index("ix_audit_event_user_id_at", "user_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)  # prune
    user_id: Mapped[int | None]
    username: Mapped[str | None] = mapped_column(String(64), index=True)  # `flask audit USER`
    event: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(String(200), default="")
    ip: Mapped[str] = mapped_column(String(64), default="")


class OutboxMessage(db.Model):
    """What the console sender would have sent (development only), shared by every worker."""

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    username: Mapped[str | None] = mapped_column(String(64))
    to: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)
    twiml: Mapped[str] = mapped_column(Text, default="")
