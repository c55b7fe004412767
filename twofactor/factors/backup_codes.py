"""Backup codes: ten single-use codes for when the phone and the authenticator app are gone."""
import base64
import re
import secrets

from sqlalchemy import delete, update
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..models import BackupCode, User, utcnow

COUNT = 10
_CODE = re.compile(r"[A-Z2-7]{16}")  # 16 base32 characters: 80 random bits
# Salted PBKDF2 with few rounds, on purpose: a code holds 80 random bits, far beyond any
# offline search, so slow hashing would protect nothing and only make checking ten codes
# (one sign-in) slow. The salt (16 characters of 62, about 95 bits) differs for every code.
_METHOD = "pbkdf2:sha256:10000"
_SALT_LENGTH = 16


def _new_code() -> str:
    """16 base32 characters from the OS's CSPRNG."""
    return base64.b32encode(secrets.token_bytes(10)).decode()


def _display(code: str) -> str:
    """``XXXX-XXXX-XXXX-XXXX``, easier to copy down than 16 characters in a row."""
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def new_set(user: User) -> list[str]:
    """Replace ``user``'s backup codes with ten new ones; the codes to show, once.

    The old set dies in the same transaction: a printed sheet that leaked is useless now.
    """
    db.session.execute(delete(BackupCode).where(BackupCode.user_id == user.id))
    codes = set()
    while len(codes) < COUNT:  # a repeat is all but impossible, but would leave nine
        codes.add(_new_code())
    now = utcnow()
    db.session.add_all(
        BackupCode(user_id=user.id, created_at=now,
                   code_hash=generate_password_hash(code, _METHOD, _SALT_LENGTH))
        for code in codes)
    db.session.flush()
    return [_display(code) for code in sorted(codes)]


def normalize(typed: str) -> str | None:
    """The 16 code characters in ``typed``, any case, dashes and spaces allowed; else None."""
    code = re.sub(r"[ \-]", "", typed or "").upper()
    return code if _CODE.fullmatch(code) else None


def use(user_id: int, typed: str) -> bool:
    """Whether ``typed`` is one of the user's unused codes; if so it is used up, for good."""
    code = normalize(typed)
    if code is None:
        return False
    unused = db.session.execute(
        db.select(BackupCode.id, BackupCode.code_hash)
        .where(BackupCode.user_id == user_id, BackupCode.used_at.is_(None))).all()
    for code_id, code_hash in unused:
        if check_password_hash(code_hash, code):
            # Conditional UPDATE: of several requests racing with one code, exactly one wins.
            won = db.session.execute(
                update(BackupCode).where(BackupCode.id == code_id, BackupCode.used_at.is_(None))
                .values(used_at=utcnow()).execution_options(synchronize_session=False))
            return won.rowcount == 1
    return False


def left(user_id: int) -> int:
    """How many of the user's backup codes are still unused."""
    return db.session.scalar(
        db.select(db.func.count()).select_from(BackupCode)
        .where(BackupCode.user_id == user_id, BackupCode.used_at.is_(None)))
