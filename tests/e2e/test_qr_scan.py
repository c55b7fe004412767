"""The QR code alone, rendered by Chromium and read back by zbarimg, drives oathtool codes we accept."""
import shutil
import subprocess
from urllib.parse import parse_qs, urlsplit

from test_authenticator_interop import alice, oathtool, required

from twofactor.extensions import db
from twofactor.factors import totp
from twofactor.models import AuthenticatorApp


def test_qr_code_scans_to_the_uri_and_its_key_makes_accepted_codes(app, browser, tmp_path):
    zbarimg = required(shutil.which("zbarimg"), "zbarimg")
    with app.app_context():
        row, secret = totp.begin_setup(alice())
        db.session.commit()
        row_id = row.id
        uri = totp.provisioning_uri(secret, "alice", app.config["APP_NAME"])
        svg = totp.qr_svg(uri)

    page = browser.new_page()
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
