"""Each second factor in a real browser: an authenticator app read from the QR code by zbarimg
and driven by oathtool, backup codes saved by download, step-up, and password recovery."""
import os
import re
import shutil
import subprocess
import time
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from playwright.sync_api import expect

from .steps import enter_code, sign_in
from .test_browser_pages import check_page

BACKUP_CODE = re.compile(r"^[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}$")


def tool(name: str) -> str:
    """An independent program the test drives; in CI it must be there."""
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"{name} must be installed in CI (see .ci/run)")
        pytest.skip(f"{name} is not installed")
    return path


def scan_qr(page, tmp_path) -> str:
    """What a phone's camera reads from the QR code on the page (zbarimg, from zbar-tools)."""
    shot = tmp_path / "qr.png"
    page.locator("figure.qr svg").screenshot(path=shot)
    return subprocess.run([tool("zbarimg"), "--raw", "-q", str(shot)], check=True,
                          capture_output=True, text=True).stdout.strip()


def app_code(secret: str, not_step: int | None = None) -> tuple[str, int]:
    """The code an authenticator app shows now (oathtool, from oath-toolkit), and its step;
    waits for the next step when ``not_step`` was used already."""
    while (step := int(time.time()) // 30) == not_step:
        time.sleep(0.5)
    code = subprocess.run([tool("oathtool"), "--totp", "-b", secret], check=True,
                          capture_output=True, text=True).stdout.strip()
    return code, step


def set_up_app(page, tmp_path, name) -> tuple[str, int]:
    """From the home page: security, set up an app by scanning, turn it on."""
    page.get_by_role("link", name=re.compile("^Security")).click()
    check_page(page, "security", "Security")
    page.get_by_role("link", name="Set up an authenticator app").click()
    check_page(page, "app-intro", "Set up an authenticator app")
    page.get_by_role("button", name="Show the QR code").click()
    check_page(page, "app-setup", "Set up an authenticator app")
    uri = scan_qr(page, tmp_path)
    parts = urlsplit(uri)
    assert parts.scheme == "otpauth" and parts.netloc == "totp"
    assert unquote(parts.path) == f"/Two-factor demo:{name}"
    query = parse_qs(parts.query)
    secret = query["secret"][0]
    assert query["issuer"] == ["Two-factor demo"]
    typed_key = page.locator("code.key").inner_text().replace(" ", "")
    assert typed_key == secret  # the key to type by hand is the one in the QR code
    code, step = app_code(secret)
    page.get_by_role("textbox", name="Code").fill(code)
    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_text("Your authenticator app is on.")).to_be_visible()
    return secret, step


def test_an_authenticator_app_from_set_up_to_sign_in(page, make_user, phone_of, tmp_path):
    name, number = make_user("sms")
    sign_in(page, name)
    enter_code(page, phone_of(number).last_code())
    secret, step = set_up_app(page, tmp_path, name)
    page.get_by_role("button", name="Sign out", exact=True).click()

    sign_in(page, name)  # the app is now the usual factor: the page asks for its code
    check_page(page, "app-code", "Enter your code")
    expect(page.get_by_text("Open your authenticator app")).to_be_visible()
    code, _ = app_code(secret, not_step=step)
    enter_code(page, code)
    expect(page.get_by_role("heading", name=f"Welcome, {name}")).to_be_visible()


def test_backup_codes_saved_by_download_then_used(page, make_user, phone_of, tmp_path):
    name, number = make_user("sms")
    sign_in(page, name)
    enter_code(page, phone_of(number).last_code())
    page.goto("/security/")
    page.get_by_role("link", name="Make backup codes").click()
    check_page(page, "backup-offer", "Save backup codes")
    page.get_by_role("button", name="Show my backup codes").click()
    check_page(page, "backup-codes", "Your backup codes")
    shown = page.locator("ul.backup-codes code").all_inner_texts()
    assert len(shown) == 10 and all(BACKUP_CODE.match(code) for code in shown)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download as a text file").click()
    saved = download.value.path().read_text()
    assert [line for line in saved.splitlines() if BACKUP_CODE.match(line)] == shown
    page.goto("/security/backup-codes")
    expect(page.locator("ul.backup-codes")).to_have_count(0)  # shown once only
    page.get_by_role("button", name="Sign out", exact=True).click()

    sign_in(page, name)
    page.get_by_role("link", name="Use a backup code").click()
    check_page(page, "backup-code", "Enter your code")
    page.get_by_label("Backup code").fill(shown[0].lower().replace("-", " "))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_text("You have 9 backup codes left.")).to_be_visible()
    expect(page.get_by_role("heading", name=f"Welcome, {name}")).to_be_visible()


def test_step_up_then_recovery(page, make_user, phone_of, tmp_path, live_app):
    name, number = make_user("sms")
    sign_in(page, name)
    enter_code(page, phone_of(number).last_code())
    page.goto("/security/backup-codes")
    page.get_by_role("button", name="Show my backup codes").click()
    codes = page.locator("ul.backup-codes code").all_inner_texts()
    # Ten minutes later the step-up has lapsed: a change asks "Confirm it's you" first.
    window = live_app.config["STEP_UP_WINDOW"]
    live_app.config["STEP_UP_WINDOW"] = type(window)(0)
    try:
        page.goto("/security/app")
        check_page(page, "confirm", "Confirm it's you")
        page.get_by_role("button", name="Use a backup code").click()
        check_page(page, "step-up-backup", "Confirm it's you")
        live_app.config["STEP_UP_WINDOW"] = window
        page.get_by_label("Backup code").fill(codes[1])
        page.get_by_role("button", name="Verify").click()
        expect(page).to_have_title(re.compile("^Set up an authenticator app"))
    finally:
        live_app.config["STEP_UP_WINDOW"] = window
    page.get_by_role("button", name="Sign out", exact=True).click()

    page.get_by_role("link", name="Forgot your password?").click()
    check_page(page, "forgot", "Reset your password")
    page.get_by_label("Username").fill(name)
    page.get_by_role("button", name="Continue").click()
    check_page(page, "recovery-code", "Reset your password")
    enter_code(page, phone_of(number).last_code())
    page.get_by_label("Backup code").fill(codes[2])
    page.get_by_role("button", name="Verify").click()
    check_page(page, "new-password", "Choose a new password")
    page.get_by_label("New password", exact=True).fill("a new long passphrase")
    page.get_by_label("New password again").fill("a new long passphrase")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("Sign in with your new password.")).to_be_visible()
    sign_in(page, name, password="a new long passphrase")
    expect(page).to_have_title(re.compile("^Enter your code"))  # still asks for a code
