"""Which second factors an account has, for the pages that offer them."""
import functools
from dataclasses import dataclass

from sqlalchemy import Select, and_, bindparam, func, literal

from ..extensions import db
from ..models import AuthenticatorApp, BackupCode, SecurityKey, User
from . import webauthn

FEW_BACKUP_CODES = 3  # at or below this, the home and security pages say so


@dataclass(frozen=True)
class Owned:
    """An account's factors: its confirmed phone, its enabled app, its backup codes, its
    security keys."""

    phone: bool
    app: AuthenticatorApp | None
    backup_total: int  # in the current set, used or not
    backup_left: int
    keys: int = 0  # usable here: none while the site has no relying party (PUBLIC_URL)

    @property
    def ways(self) -> int:
        """How many independent ways to pass the second step the account has."""
        return sum((self.phone, self.app is not None, self.backup_left > 0, self.keys > 0))

    def has(self, factor: str) -> bool:
        """Whether ``factor`` ("phone", "app", "backup" or "key") can pass a second step."""
        return {"phone": self.phone, "app": self.app is not None,
                "backup": self.backup_left > 0, "key": self.keys > 0}.get(factor, False)

    @property
    def backup_running_low(self) -> bool:
        """A set exists and few of its codes are left."""
        return self.backup_total > 0 and self.backup_left <= FEW_BACKUP_CODES


def enabled_app(user_id: int) -> AuthenticatorApp | None:
    """The account's authenticator app, once its set-up was confirmed with a right code."""
    return db.session.scalar(db.select(AuthenticatorApp).where(app_join(user_id)))


def app_join(user_id):
    """The condition for the account ``user_id``'s enabled authenticator app."""
    return and_(AuthenticatorApp.user_id == user_id, AuthenticatorApp.enabled_at.is_not(None))


def counts(user_id, with_keys: bool) -> list:
    """Scalar subqueries for the account ``user_id`` (a column of the enclosing SELECT): its
    backup codes in the current set, those left, and its security keys (counted only where a
    relying party is configured; elsewhere they cannot be used)."""
    def counted(model, *where):
        return db.select(func.count()).select_from(model).where(*where).scalar_subquery()
    return [counted(BackupCode, BackupCode.user_id == user_id),
            counted(BackupCode, BackupCode.user_id == user_id, BackupCode.used_at.is_(None)),
            counted(SecurityKey, SecurityKey.user_id == user_id) if with_keys else literal(0)]


@functools.cache
def _owned_statement(with_keys: bool) -> Select:
    """The one SELECT behind ``of``, built once: the account is a bound parameter."""
    return (db.select(AuthenticatorApp, *counts(User.id, with_keys)).select_from(User)
            .outerjoin(AuthenticatorApp, app_join(User.id))
            .where(User.id == bindparam("user_id")))


def of(user: User) -> Owned:
    """What ``user`` can prove a second factor with (one statement)."""
    app, total, left, keys = db.session.execute(_owned_statement(webauthn.available()),
                                                {"user_id": user.id}).one()
    return from_row(user, app, total, left, keys)


def from_row(user: User, app: AuthenticatorApp | None, total: int, left: int, keys: int) -> Owned:
    """``Owned`` from the columns ``app_join`` and ``counts`` read for ``user``."""
    return Owned(user.phone_confirmed, app, total, left, keys)


def for_step(mine: Owned, purpose: str) -> list[str]:
    """The factors a pending step may be passed with: always the phone; a sign-up's or a new
    number's, only the phone it confirms."""
    if purpose in ("signup", "newphone"):
        return ["phone"]
    return [factor for factor in ("phone", "app", "backup", "key") if mine.has(factor)]
