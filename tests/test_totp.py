"""Authenticator apps: RFC 6238 codes, the [T-1, T] window, replays, races and key rotation."""
import base64
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from conftest import add_user
from freezegun import freeze_time
from markupsafe import Markup

from app import create_app
from twofactor.extensions import db
from twofactor.factors import secretbox, totp
from twofactor.factors.totp import TotpCheck
from twofactor.models import AuthenticatorApp, User

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # fixed, so codes of different steps never collide
T = 1_800_000_010  # 10 s into step 60_000_000
STEP = T // 30


def at(t: int):
    """Frozen time at Unix time ``t``."""
    return freeze_time(datetime.fromtimestamp(t, timezone.utc))


def alice(app) -> User:
    return db.session.scalar(db.select(User).where(User.username == "alice"))


def app_row(app, secret: str = SECRET) -> int:
    """Give alice an enabled authenticator app with ``secret``; its row id."""
    with app.app_context():
        row = AuthenticatorApp(user_id=alice(app).id, secret_sealed=secretbox.seal(secret),
                               enabled_at=datetime(2026, 1, 1))
        db.session.add(row)
        db.session.commit()
        return row.id


def check(app, row_id: int, code: str) -> TotpCheck:
    """Check ``code`` against the row in a request of its own, and commit."""
    with app.app_context():
        result = totp.check(db.session.get(AuthenticatorApp, row_id), code)
        db.session.commit()
        return result


def last_step(app, row_id: int) -> int | None:
    with app.app_context():
        return db.session.get(AuthenticatorApp, row_id).last_step


RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()


@pytest.mark.parametrize("t, code", [
    (59, "94287082"), (1111111109, "07081804"), (1111111111, "14050471"),
    (1234567890, "89005924"), (2000000000, "69279037"), (20000000000, "65353130")])
def test_rfc_6238_sha1_vectors(t, code):
    assert totp.code_at(RFC_SECRET, t, digits=8) == code
    assert totp.code_at(RFC_SECRET, t) == code[-6:]  # our 6 digits are the same code, shorter


def test_code_of_this_step_works_once(app):
    row_id = app_row(app)
    with at(T):
        assert check(app, row_id, totp.code_at(SECRET, T)) is TotpCheck.OK
        assert last_step(app, row_id) == STEP
        assert check(app, row_id, totp.code_at(SECRET, T)) is TotpCheck.REPLAYED
    with at(T + 30):  # the same code is now the previous step's: still used up
        assert check(app, row_id, totp.code_at(SECRET, T)) is TotpCheck.REPLAYED


def test_previous_step_works_when_newer_than_the_last_used(app):
    row_id = app_row(app)
    with at(T):
        assert check(app, row_id, totp.code_at(SECRET, T - 30)) is TotpCheck.OK
        assert last_step(app, row_id) == STEP - 1
        assert check(app, row_id, totp.code_at(SECRET, T)) is TotpCheck.OK
        assert last_step(app, row_id) == STEP


def test_code_older_than_the_last_used_step_is_refused(app):
    row_id = app_row(app)
    with at(T):
        assert check(app, row_id, totp.code_at(SECRET, T)) is TotpCheck.OK
        # right and inside the window, but older than a code already used
        assert check(app, row_id, totp.code_at(SECRET, T - 30)) is TotpCheck.REPLAYED
        assert last_step(app, row_id) == STEP


@pytest.mark.parametrize("offset", [-60, -90, 30, 60])
def test_codes_outside_the_window_are_wrong(app, offset):
    row_id = app_row(app)
    with at(T):
        assert check(app, row_id, totp.code_at(SECRET, T + offset)) is TotpCheck.WRONG
        assert last_step(app, row_id) is None


def test_step_boundaries(app):
    row_id = app_row(app)
    start = STEP * 30
    with at(start + 29):  # last second of the step: code(T+1) is still a future code
        assert check(app, row_id, totp.code_at(SECRET, start + 30)) is TotpCheck.WRONG
    with at(start + 30 + 29):  # T's code is now T-1's: accepted to the end of the next step
        assert check(app, row_id, totp.code_at(SECRET, start)) is TotpCheck.OK
    with at(start + 60):
        assert check(app, row_id, totp.code_at(SECRET, start + 30)) is TotpCheck.OK
        assert check(app, row_id, totp.code_at(SECRET, start)) is TotpCheck.WRONG  # T-2 now


@pytest.mark.parametrize("typed", ["", "12345", "1234567", "abcdef", "١٢٣٤٥٦", None])
def test_malformed_codes_are_wrong(app, typed):
    row_id = app_row(app)
    with at(T):
        assert check(app, row_id, typed) is TotpCheck.WRONG


@pytest.mark.parametrize("shape", ["{} {}", "{}-{}", " {}  {} "])
def test_spaces_and_dashes_are_allowed(app, shape):
    row_id = app_row(app)
    code = totp.code_at(SECRET, T)
    with at(T):
        assert check(app, row_id, shape.format(code[:3], code[3:])) is TotpCheck.OK


def test_one_code_from_many_threads_at_once_succeeds_exactly_once(app):
    row_id = app_row(app)
    code = totp.code_at(SECRET, time.time())  # real clock: threads share it
    start = threading.Barrier(6)

    def attempt(_):
        start.wait(timeout=30)
        return check(app, row_id, code)

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(attempt, range(6), timeout=60))
    assert results.count(TotpCheck.OK) == 1
    assert results.count(TotpCheck.REPLAYED) == 5


def test_new_secret_is_160_bits_and_fresh():
    secrets = {totp.new_secret() for _ in range(20)}
    assert len(secrets) == 20
    assert all(len(base64.b32decode(s)) >= 20 for s in secrets)


def test_begin_setup_stores_only_a_sealed_secret(app):
    with app.app_context():
        row, secret = totp.begin_setup(alice(app))
        db.session.commit()
        assert row.enabled_at is None and row.last_step is None
        stored = db.session.scalar(db.select(AuthenticatorApp.secret_sealed))
        assert secret not in stored and secret.lower() not in stored
        assert totp.secret_of(row) == secret


def test_begin_setup_replaces_an_unfinished_one_but_never_an_enabled_one(app):
    with app.app_context():
        first, first_secret = totp.begin_setup(alice(app))
        db.session.commit()
        second, second_secret = totp.begin_setup(alice(app))
        db.session.commit()
        assert second_secret != first_secret
        assert db.session.scalars(db.select(AuthenticatorApp.id)).all() == [second.id]
        with at(T):
            assert totp.enable(second, totp.code_at(second_secret, T))
        db.session.commit()
        with pytest.raises(totp.AlreadyEnabled):
            totp.begin_setup(alice(app))
        db.session.rollback()
        kept = db.session.scalar(db.select(AuthenticatorApp))
        assert kept.id == second.id and kept.enabled_at is not None
        assert totp.secret_of(kept) == second_secret


def test_enable_needs_a_right_code(app):
    with app.app_context():
        row, secret = totp.begin_setup(alice(app))
        with at(T):
            wrong = f"{(int(totp.code_at(secret, T)) + 1) % 10**6:06d}"
            assert not totp.enable(row, wrong)
            assert row.enabled_at is None
            assert totp.enable(row, totp.code_at(secret, T))
        db.session.commit()
        assert db.session.scalar(db.select(AuthenticatorApp.enabled_at)) is not None


def test_key_rotation_keeps_codes_working_and_reseals(app_config, database_url):
    old = create_app({**app_config, "SECRET_KEY": "key-a-" + "a" * 40})
    add_user(old, "alice", "+12015550123")
    with old.app_context():
        _, secret = totp.begin_setup(alice(old))
        db.session.commit()
        sealed_by_a = db.session.scalar(db.select(AuthenticatorApp.secret_sealed))

    rotated = create_app({**app_config, "SECRET_KEY": "key-b-" + "b" * 40,
                          "SECRET_KEY_FALLBACKS": ["key-a-" + "a" * 40]})
    with at(T), rotated.app_context():
        row = db.session.scalar(db.select(AuthenticatorApp))
        assert totp.check(row, totp.code_at(secret, T)) is TotpCheck.OK
        db.session.commit()
        assert db.session.scalar(db.select(AuthenticatorApp.secret_sealed)) != sealed_by_a

    only_b = create_app({**app_config, "SECRET_KEY": "key-b-" + "b" * 40})
    with at(T + 30), only_b.app_context():
        row = db.session.scalar(db.select(AuthenticatorApp))
        assert secretbox.unseal(row.secret_sealed) == (secret, False)
        assert totp.check(row, totp.code_at(secret, T + 30)) is TotpCheck.OK

    stranger = create_app({**app_config, "SECRET_KEY": "key-c-" + "c" * 40})
    with stranger.app_context():
        row = db.session.scalar(db.select(AuthenticatorApp))
        with pytest.raises(secretbox.SealBroken):
            totp.check(row, totp.code_at(secret, T))


def test_provisioning_uri_is_the_key_uri_format():
    assert (totp.provisioning_uri(SECRET, "alice", "Two-factor demo")
            == f"otpauth://totp/Two-factor%20demo:alice?secret={SECRET}&issuer=Two-factor%20demo")


def test_provisioning_uri_encodes_what_would_break_it():
    uri = totp.provisioning_uri(SECRET, "a/b:c?d", "Q&A: site #1")
    parts = urlsplit(uri)
    assert parts.scheme == "otpauth" and parts.netloc == "totp" and not parts.fragment
    issuer, _, username = parts.path[1:].partition(":")
    assert unquote(issuer) == "Q&A: site #1" and unquote(username) == "a/b:c?d"
    assert parse_qs(parts.query) == {"secret": [SECRET], "issuer": ["Q&A: site #1"]}


def test_qr_svg_is_inline_markup_without_the_key_in_text():
    uri = totp.provisioning_uri(SECRET, "alice", "Two-factor demo")
    svg = totp.qr_svg(uri)
    assert isinstance(svg, Markup)
    assert svg.startswith("<svg ") and "<?xml" not in svg
    assert 'role="img"' in svg and 'aria-label="' in svg and "<title>" in svg
    assert SECRET not in svg and "otpauth" not in svg


def test_grouped_key_reads_back():
    grouped = totp.grouped(SECRET)
    assert grouped == "JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP"
    assert grouped.replace(" ", "") == SECRET


@pytest.mark.parametrize("typed, digits", [("123456", "123456"), ("123 456", "123456"),
                                           ("123-456", "123456"), ("012345", "012345"),
                                           ("12345", None), ("1234567", None),
                                           ("١٢٣٤٥٦", None), ("12345a", None), ("", None)])
def test_normalize(typed, digits):
    assert totp.normalize(typed) == digits
