"""Security keys: registration and sign-in checked by py_webauthn against a software key, and
every refusal: counters, expired, reused or misdirected challenges, other accounts' keys."""
import json
from datetime import timedelta

import pytest
from soft_authenticator import SoftKey
from webauthn.helpers import base64url_to_bytes

from twofactor.extensions import db
from twofactor.factors import webauthn
from twofactor.factors.webauthn import KeyRefused
from twofactor.models import SecurityKey, User, WebAuthnChallenge
from twofactor.prune import prune
from twofactor.security import ConfigError

ORIGIN = "http://localhost:5000"
SESSION = "session-of-this-browser"


@pytest.fixture
def app(app_config, app):
    """The test app, served at PUBLIC_URL http://localhost:5000."""
    app.config["PUBLIC_URL"] = ORIGIN
    with app.app_context():
        yield app


def user(name: str) -> User:
    return db.session.scalar(db.select(User).where(User.username == name))


def registered(name: str = "alice", key: SoftKey | None = None) -> SoftKey:
    """A software key registered to ``name``."""
    key = key or SoftKey()
    options = webauthn.registration_options(user(name), SESSION)
    webauthn.register(user(name), key.create(options), "my key", SESSION)
    return key


def sign_in(key: SoftKey, name: str = "alice", counter: int | None = None,
            purpose: str = "signin") -> SecurityKey:
    """Ask for options and answer them with ``key``."""
    options = webauthn.authentication_options(user(name), purpose, SESSION)
    return webauthn.authenticate(user(name), key.get(options, counter), purpose, SESSION)


def test_a_registered_key_signs_in_and_its_counter_and_use_are_kept(app):
    key = registered()
    stored = db.session.scalar(db.select(SecurityKey))
    assert (stored.user_id, stored.name, stored.transports) == (user("alice").id, "my key", "usb")
    assert stored.credential_id == key.credential_id and stored.last_used_at is None
    assert sign_in(key).id == stored.id
    db.session.refresh(stored)
    assert stored.sign_count == 1 and stored.last_used_at is not None


def test_registration_options_are_for_a_second_factor_and_exclude_known_keys(app):
    key = registered()
    options = json.loads(webauthn.registration_options(user("alice"), SESSION))
    assert options["rp"]["id"] == "localhost" and options["attestation"] == "none"
    assert options["authenticatorSelection"]["userVerification"] == "discouraged"
    assert len(base64url_to_bytes(options["challenge"])) >= 16
    assert [base64url_to_bytes(c["id"]) for c in options["excludeCredentials"]] == [
        key.credential_id]
    assert base64url_to_bytes(options["user"]["id"]) != str(user("alice").id).encode()
    assert options["timeout"] == 120_000


def test_options_allow_only_the_accounts_own_keys(app):
    alice_key, bob_key = registered("alice"), registered("bob")
    options = json.loads(webauthn.authentication_options(user("alice"), "signin", SESSION))
    allowed = [base64url_to_bytes(c["id"]) for c in options["allowCredentials"]]
    assert allowed == [alice_key.credential_id] and bob_key.credential_id not in allowed


def test_an_account_without_keys_gets_no_options(app):
    with pytest.raises(KeyRefused, match="no security key"):
        webauthn.authentication_options(user("alice"), "signin", SESSION)


@pytest.mark.parametrize("stored, new", [(5, 4), (5, 5), (5, 0)])
def test_a_counter_that_does_not_go_up_is_refused(app, stored, new):
    key = registered()
    db.session.scalar(db.select(SecurityKey)).sign_count = stored
    db.session.commit()
    with pytest.raises(KeyRefused, match="counter went backwards"):
        sign_in(key, counter=new)
    assert db.session.scalar(db.select(SecurityKey)).last_used_at is None


@pytest.mark.parametrize("stored, new", [(0, 0), (0, 7), (5, 6), (5, 900)])
def test_a_counter_that_goes_up_or_stays_at_zero_is_accepted(app, stored, new):
    key = registered()
    db.session.scalar(db.select(SecurityKey)).sign_count = stored
    db.session.commit()
    assert sign_in(key, counter=new).sign_count == new


def test_a_synced_passkey_without_a_counter_signs_in_again_and_again(app):
    key = registered()
    for _ in range(3):
        assert sign_in(key, counter=0).sign_count == 0


def test_a_challenge_expires_after_two_minutes(app, clock):
    key = registered()
    options = webauthn.authentication_options(user("alice"), "signin", SESSION)
    clock.tick(timedelta(minutes=2, seconds=1))
    with pytest.raises(KeyRefused, match="expired"):
        webauthn.authenticate(user("alice"), key.get(options), "signin", SESSION)


def test_a_replayed_answer_is_refused(app):
    key = registered()
    options = webauthn.authentication_options(user("alice"), "signin", SESSION)
    answer = key.get(options)
    webauthn.authenticate(user("alice"), answer, "signin", SESSION)
    with pytest.raises(KeyRefused, match="already used"):
        webauthn.authenticate(user("alice"), answer, "signin", SESSION)


def test_a_registration_answer_cannot_be_used_twice(app):
    key = SoftKey()
    answer = key.create(webauthn.registration_options(user("alice"), SESSION))
    webauthn.register(user("alice"), answer, "first", SESSION)
    with pytest.raises(KeyRefused, match="already used"):
        webauthn.register(user("alice"), answer, "again", SESSION)
    assert db.session.scalar(db.select(db.func.count()).select_from(SecurityKey)) == 1


@pytest.mark.parametrize("session, purpose", [("another-browser", "signin"), (SESSION, "stepup")])
def test_an_answer_for_another_session_or_purpose_is_refused_and_spends_nothing(
        app, session, purpose):
    key = registered()
    options = webauthn.authentication_options(user("alice"), "signin", SESSION)
    answer = key.get(options)
    with pytest.raises(KeyRefused, match="another page"):
        webauthn.authenticate(user("alice"), answer, purpose, session)
    # the challenge is still there for the browser it was made for
    assert webauthn.authenticate(user("alice"), answer, "signin", SESSION)


def test_another_accounts_key_is_refused(app):
    registered("alice")
    bob_key = registered("bob")
    options = webauthn.authentication_options(user("alice"), "signin", SESSION)
    with pytest.raises(KeyRefused, match="not registered to this account"):
        webauthn.authenticate(user("alice"), bob_key.get(options), "signin", SESSION)


def test_an_answer_to_another_accounts_challenge_is_refused(app):
    alice_key = registered("alice")
    registered("bob")
    options = webauthn.authentication_options(user("alice"), "signin", SESSION)
    with pytest.raises(KeyRefused, match="another page"):
        webauthn.authenticate(user("bob"), alice_key.get(options), "signin", SESSION)


def test_an_unknown_key_is_refused(app):
    registered()
    options = webauthn.authentication_options(user("alice"), "signin", SESSION)
    with pytest.raises(KeyRefused, match="not registered"):
        webauthn.authenticate(user("alice"), SoftKey().get(options), "signin", SESSION)


def test_a_forged_signature_is_refused_and_burns_the_challenge(app):
    key = registered()
    options = webauthn.authentication_options(user("alice"), "signin", SESSION)
    answer = json.loads(key.get(options))
    answer["response"]["signature"] = json.loads(SoftKey().get(options))["response"]["signature"]
    with pytest.raises(KeyRefused, match="could not be checked"):
        webauthn.authenticate(user("alice"), json.dumps(answer), "signin", SESSION)
    assert db.session.scalar(db.select(WebAuthnChallenge.used)) is True


def test_an_answer_from_another_site_is_refused(app):
    key = registered()
    key.origin = "http://evil.localhost:5000"
    with pytest.raises(KeyRefused, match="could not be checked"):
        sign_in(key)


@pytest.mark.parametrize("answer", ["", "not json", "{}", '{"id": "x", "rawId": "x"}'])
def test_garbage_is_refused_in_plain_words(app, answer):
    registered()
    webauthn.authentication_options(user("alice"), "signin", SESSION)
    with pytest.raises(KeyRefused, match="could not be checked"):
        webauthn.authenticate(user("alice"), answer, "signin", SESSION)


def test_the_same_key_cannot_be_registered_twice(app):
    key = registered("alice")
    with pytest.raises(KeyRefused, match="already registered"):
        registered("bob", key)


def test_a_key_needs_a_name(app):
    options = webauthn.registration_options(user("alice"), SESSION)
    with pytest.raises(KeyRefused, match="name"):
        webauthn.register(user("alice"), SoftKey().create(options), "  ", SESSION)


def test_the_relying_party_comes_from_public_url_not_the_host_header(app):
    app.config["PUBLIC_URL"] = "https://2fa.example.com"
    with app.test_request_context("/", headers={"Host": "evil.example"}):
        assert webauthn.relying_party() == ("2fa.example.com", "https://2fa.example.com")
        options = json.loads(webauthn.registration_options(user("alice"), SESSION))
    assert options["rp"]["id"] == "2fa.example.com"


@pytest.mark.parametrize("url", [None, "", "http://127.0.0.1:5000", "https://[::1]"])
def test_no_public_url_or_an_ip_address_is_a_clear_error(app, url):
    app.config["PUBLIC_URL"] = url
    with pytest.raises(ConfigError, match="PUBLIC_URL"):
        webauthn.relying_party()


def test_prune_deletes_expired_challenges_only(app, clock):
    webauthn.registration_options(user("alice"), SESSION)
    clock.tick(timedelta(minutes=1))
    live = json.loads(webauthn.registration_options(user("alice"), SESSION))["challenge"]
    clock.tick(timedelta(minutes=1, seconds=30))
    assert prune()["security key challenges"] == 1
    [kept] = db.session.scalars(db.select(WebAuthnChallenge.challenge)).all()
    assert kept == base64url_to_bytes(live)
