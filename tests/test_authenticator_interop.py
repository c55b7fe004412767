"""Our TOTP against independent implementations: oathtool computes the codes, Chromium draws
the QR code and zbar reads it back, as a phone's camera would."""
import os
import shutil
import subprocess
from datetime import datetime, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
from e2e.conftest import CHROMIUM_ARGS, find_chromium
from freezegun import freeze_time

from twofactor.extensions import db
from twofactor.factors import totp
from twofactor.factors.totp import TotpCheck
from twofactor.models import AuthenticatorApp, User

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
        with freeze_time(datetime.fromtimestamp(T, timezone.utc)):
            assert totp.check(row, code) is TotpCheck.OK
            assert totp.check(row, oathtool(secret, now=T)) is TotpCheck.REPLAYED
            assert totp.check(row, oathtool(secret, now=T + 30)) is TotpCheck.WRONG  # future


def test_oathtool_code_on_the_real_clock_is_accepted(app):
    with app.app_context():
        row, secret = totp.begin_setup(alice())
        assert totp.check(row, oathtool(secret)) is TotpCheck.OK


@pytest.fixture(scope="module")
def chromium():
    """Debian's headless Chromium, through Playwright."""
    path = required(find_chromium(), "Chromium")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, headless=True,
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def test_qr_code_scans_to_the_uri_and_its_key_makes_accepted_codes(app, chromium, tmp_path):
    zbarimg = required(shutil.which("zbarimg"), "zbarimg")
    with app.app_context():
        row, secret = totp.begin_setup(alice())
        db.session.commit()
        row_id = row.id
        uri = totp.provisioning_uri(secret, "alice", app.config["APP_NAME"])
        svg = totp.qr_svg(uri)

    page = chromium.new_page()
    try:
        page.set_content(f"<!doctype html><html><body>{svg}</body></html>")
        picture = tmp_path / "qr.png"
        page.locator("svg").screenshot(path=picture)
    finally:
        page.close()
    scanned = subprocess.run([zbarimg, "--raw", "-q", str(picture)], capture_output=True,
                             text=True, check=True, timeout=30).stdout.rstrip("\n")
    assert scanned == uri

    key = parse_qs(urlsplit(scanned).query)["secret"][0]
    with app.app_context():
        row = db.session.get(AuthenticatorApp, row_id)
        assert totp.enable(row, oathtool(key))
        db.session.commit()
        assert db.session.get(AuthenticatorApp, row_id).enabled_at is not None
