"""Which second factors an account has, for the pages that offer them."""
from dataclasses import dataclass

from sqlalchemy import and_, func

from ..extensions import db
from ..models import AuthenticatorApp, BackupCode, User

FEW_BACKUP_CODES = 3  # at or below this, the home and security pages say so


@dataclass(frozen=True)
class Owned:
    """An account's factors: its confirmed phone, its enabled app, its backup codes."""

    phone: bool
    app: AuthenticatorApp | None
    backup_total: int  # in the current set, used or not
    backup_left: int

    @property
    def ways(self) -> int:
        """How many independent ways to pass the second step the account has."""
        return sum((self.phone, self.app is not None, self.backup_left > 0))

    @property
    def backup_running_low(self) -> bool:
        """A set exists and few of its codes are left."""
        return self.backup_total > 0 and self.backup_left <= FEW_BACKUP_CODES


def enabled_app(user_id: int) -> AuthenticatorApp | None:
    """The account's authenticator app, once its set-up was confirmed with a right code."""
    return db.session.scalar(db.select(AuthenticatorApp).where(
        AuthenticatorApp.user_id == user_id, AuthenticatorApp.enabled_at.is_not(None)))


def of(user: User) -> Owned:
    """What ``user`` can prove a second factor with (one statement)."""
    codes = db.select(BackupCode).where(BackupCode.user_id == user.id).subquery()
    app, total, left = db.session.execute(
        db.select(AuthenticatorApp,
                  db.select(func.count()).select_from(codes).scalar_subquery(),
                  db.select(func.count()).select_from(codes)
                  .where(codes.c.used_at.is_(None)).scalar_subquery())
        .select_from(User)
        .outerjoin(AuthenticatorApp, and_(AuthenticatorApp.user_id == User.id,
                                          AuthenticatorApp.enabled_at.is_not(None)))
        .where(User.id == user.id)).one()
    return Owned(user.phone_confirmed, app, total, left)


def for_step(mine: Owned, purpose: str) -> list[str]:
    """The factors a pending step may be passed with: always the phone; a sign-up's, only the
    phone it confirms."""
    if purpose == "signup":
        return ["phone"]
    return ["phone"] + ["app"] * (mine.app is not None) + ["backup"] * (mine.backup_left > 0)
