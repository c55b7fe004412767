"""Our TOTP against independent implementations: oathtool computes the codes, Chromium draws
the QR code and zbar reads it back, as a phone's camera would."""
import os
import shutil
import subprocess
from datetime import UTC, datetime

import pytest
from freezegun import freeze_time

from twofactor.extensions import db
from twofactor.factors import totp
from twofactor.factors.totp import TotpCheck
from twofactor.models import User

T = 1_800_000_010  # 10 s into a step


def alice() -> User:
    return db.session.scalar(db.select(User).where(User.username == "alice"))


def required(path: str | None, what: str) -> str:
    """``path``; a missing tool skips the test, but fails it in CI."""
    if path is None:
        message = f"{what} not installed (apt-get install oathtool zbar-tools chromium)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"must run in CI: {message}")
        pytest.skip(message)
    return path


def oathtool(secret: str, now: int | None = None) -> str:
    """The code OATH Toolkit's ``oathtool`` shows for ``secret`` at ``now`` (default: now)."""
    command = [required(shutil.which("oathtool"), "oathtool"), "--totp", "-b", secret]
    if now is not None:
        command.append(f"--now=@{now}")
    return subprocess.run(command, capture_output=True, text=True, check=True,
                          timeout=10).stdout.strip()


def test_oathtool_code_at_a_fixed_time_is_accepted(app):
    with app.app_context():
        row, secret = totp.begin_setup(alice())
        code = oathtool(secret, now=T)
        assert code == totp.code_at(secret, T)
        with freeze_time(datetime.fromtimestamp(T, UTC)):
            assert totp.check(row, code) is TotpCheck.OK
            assert totp.check(row, oathtool(secret, now=T)) is TotpCheck.REPLAYED
            assert totp.check(row, oathtool(secret, now=T + 30)) is TotpCheck.WRONG  # future


def test_oathtool_code_on_the_real_clock_is_accepted(app):
    with app.app_context():
        row, secret = totp.begin_setup(alice())
        assert totp.check(row, oathtool(secret)) is TotpCheck.OK
