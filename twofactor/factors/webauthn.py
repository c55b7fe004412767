"""Security keys and passkeys (WebAuthn) as a second factor, verified by py_webauthn.

The relying party is PUBLIC_URL, never the Host header. Each ceremony starts with a challenge
kept for one account, purpose and session; it lives two minutes and is used once. The
functions commit, so a challenge a refused answer consumed stays consumed. py_webauthn is
imported by the functions that use it: with cryptography it adds 14 MB to every worker, and
most requests never touch a key.
"""
import hashlib
import hmac
import ipaddress
import secrets
from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import SecurityKey, User, WebAuthnChallenge, utcnow
from ..security import ConfigError

CHALLENGE_LIFETIME = timedelta(minutes=2)
UNREADABLE = "The security key's answer could not be checked. Please try again."


class KeyRefused(Exception):
    """A security key's answer was refused; ``str(error)`` is a sentence for the person."""


def relying_party() -> tuple[str, str]:
    """The relying-party id (PUBLIC_URL's host name) and the origin browsers will report."""
    url = urlsplit(current_app.config.get("PUBLIC_URL") or "")
    if url.scheme not in ("http", "https") or not url.hostname:
        raise ConfigError("Set PUBLIC_URL (e.g. http://localhost:5000 in development): "
                          "security keys are bound to the site's host name.")
    try:
        ipaddress.ip_address(url.hostname)
    except ValueError:
        pass
    else:
        raise ConfigError("PUBLIC_URL must name the site by host name, not IP address: "
                          "browsers refuse security keys for an IP address.")
    default_port = {"http": 80, "https": 443}[url.scheme]
    port = f":{url.port}" if url.port not in (None, default_port) else ""
    return url.hostname, f"{url.scheme}://{url.hostname}{port}"


def available() -> bool:
    """Whether security keys can work here: PUBLIC_URL names the site by host name."""
    try:
        relying_party()
    except ConfigError:
        return False
    return True


def user_handle(user: User) -> bytes:
    """The account's id inside authenticators: stable, but neither its name nor its row id."""
    key = hmac.new(current_app.secret_key.encode(), b"webauthn-user-handle", hashlib.sha256)
    return hmac.new(key.digest(), str(user.id).encode(), hashlib.sha256).digest()


def keys_of(user: User) -> list[SecurityKey]:
    """The account's security keys, oldest first."""
    return list(db.session.scalars(db.select(SecurityKey).where(SecurityKey.user_id == user.id)
                                   .order_by(SecurityKey.id)))


def _descriptor(key: SecurityKey):
    """How options name a stored key to the browser."""
    from webauthn.helpers.structs import (
        AuthenticatorTransport,
        PublicKeyCredentialDescriptor,
    )
    known = {t.value for t in AuthenticatorTransport}
    transports = [AuthenticatorTransport(t) for t in key.transports.split(",") if t in known]
    return PublicKeyCredentialDescriptor(id=key.credential_id, transports=transports or None)


def _new_challenge(user: User, purpose: str, bound_to: str) -> bytes:
    """A random challenge, stored for this account, purpose and session only."""
    challenge = secrets.token_bytes(32)
    db.session.add(WebAuthnChallenge(
        id=hashlib.sha256(challenge).hexdigest(), user_id=user.id, purpose=purpose,
        bound_to=bound_to, challenge=challenge, expires_at=utcnow() + CHALLENGE_LIFETIME))
    return challenge


def _consume(credential, user: User, purpose: str, bound_to: str) -> bytes:
    """Use up the challenge this answer signed, if it is ours, live and unused; return it."""
    from webauthn.helpers import parse_client_data_json
    from webauthn.helpers.exceptions import WebAuthnException
    try:
        echoed = parse_client_data_json(credential.response.client_data_json).challenge
    except (WebAuthnException, ValueError) as error:
        raise KeyRefused(UNREADABLE) from error
    row = db.session.get(WebAuthnChallenge, hashlib.sha256(echoed).hexdigest())
    if (row is None or row.user_id != user.id or row.purpose != purpose
            or not hmac.compare_digest(row.bound_to, bound_to)):
        raise KeyRefused("This security key request was made for another page. Please try again.")
    # Conditional UPDATE: of two requests racing with one answer, only one gets the challenge.
    won = db.session.execute(update(WebAuthnChallenge).where(
        WebAuthnChallenge.id == row.id, WebAuthnChallenge.used.is_(False),
        WebAuthnChallenge.expires_at > utcnow()).values(used=True))
    db.session.commit()
    if won.rowcount != 1:
        db.session.refresh(row)
        raise KeyRefused("This security key request was already used. Please try again."
                         if row.used else "This security key request expired. Please try again.")
    return row.challenge


def _parse(parser, credential_json: str):
    """The browser's answer as py_webauthn's structure, or a refusal if it is not one."""
    from webauthn.helpers.exceptions import WebAuthnException
    try:
        return parser(credential_json)
    except (WebAuthnException, ValueError) as error:
        raise KeyRefused(UNREADABLE) from error


def registration_options(user: User, bound_to: str) -> str:
    """Options for ``navigator.credentials.create()`` as JSON, for the session ``bound_to``."""
    from webauthn import generate_registration_options, options_to_json
    from webauthn.helpers.structs import (
        AttestationConveyancePreference,
        AuthenticatorSelectionCriteria,
        ResidentKeyRequirement,
        UserVerificationRequirement,
    )
    rp_id, _ = relying_party()
    options = generate_registration_options(
        rp_id=rp_id, rp_name=current_app.config["APP_NAME"], user_name=user.username,
        user_id=user_handle(user), challenge=_new_challenge(user, "register", bound_to),
        timeout=int(CHALLENGE_LIFETIME.total_seconds() * 1000),
        attestation=AttestationConveyancePreference.NONE,
        # A second factor: the password already names the account, so no key slot is needed,
        # and touching the key is enough (no PIN or fingerprint).
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.DISCOURAGED,
            user_verification=UserVerificationRequirement.DISCOURAGED),
        exclude_credentials=[_descriptor(key) for key in keys_of(user)])
    db.session.commit()
    return options_to_json(options)


def register(user: User, credential_json: str, name: str, bound_to: str) -> SecurityKey:
    """Check the browser's answer to registration_options and keep the new key as ``name``."""
    from webauthn import verify_registration_response
    from webauthn.helpers import parse_registration_credential_json
    from webauthn.helpers.exceptions import WebAuthnException
    name = (name or "").strip()
    if not 0 < len(name) <= 64:
        raise KeyRefused("Give the security key a name of 1 to 64 characters.")
    credential = _parse(parse_registration_credential_json, credential_json)
    challenge = _consume(credential, user, "register", bound_to)
    rp_id, origin = relying_party()
    try:
        verified = verify_registration_response(credential=credential, expected_challenge=challenge,
                                                expected_rp_id=rp_id, expected_origin=origin)
    except (WebAuthnException, ValueError) as error:
        raise KeyRefused(UNREADABLE) from error
    transports = ",".join(t.value for t in credential.response.transports or [])
    key = SecurityKey(user_id=user.id, name=name, credential_id=verified.credential_id,
                      public_key=verified.credential_public_key, sign_count=verified.sign_count,
                      transports=transports[:64])
    db.session.add(key)
    try:
        db.session.commit()
    except IntegrityError as error:  # the credential id is unique across all accounts
        db.session.rollback()
        raise KeyRefused("This security key is already registered.") from error
    return key


def authentication_options(user: User, purpose: str, bound_to: str) -> str:
    """Options for ``navigator.credentials.get()`` as JSON, allowing only the account's keys."""
    from webauthn import generate_authentication_options, options_to_json
    from webauthn.helpers.structs import UserVerificationRequirement
    if purpose not in ("signin", "stepup"):
        raise ValueError(f"unknown purpose {purpose!r}")
    keys = keys_of(user)
    if not keys:
        raise KeyRefused("There is no security key on this account.")
    rp_id, _ = relying_party()
    options = generate_authentication_options(
        rp_id=rp_id, challenge=_new_challenge(user, purpose, bound_to),
        timeout=int(CHALLENGE_LIFETIME.total_seconds() * 1000),
        allow_credentials=[_descriptor(key) for key in keys],
        user_verification=UserVerificationRequirement.DISCOURAGED)
    db.session.commit()
    return options_to_json(options)


def authenticate(user: User, credential_json: str, purpose: str, bound_to: str) -> SecurityKey:
    """Check the browser's answer to authentication_options; return the key that signed it."""
    from webauthn import verify_authentication_response
    from webauthn.helpers import parse_authentication_credential_json
    from webauthn.helpers.exceptions import WebAuthnException
    credential = _parse(parse_authentication_credential_json, credential_json)
    challenge = _consume(credential, user, purpose, bound_to)
    key = db.session.scalar(db.select(SecurityKey)
                            .where(SecurityKey.credential_id == credential.raw_id))
    if key is None or key.user_id != user.id:
        raise KeyRefused("This security key is not registered to this account.")
    rp_id, origin = relying_party()
    try:
        # Counter 0 here turns py_webauthn's counter check off: ours below runs only once the
        # signature is known good, and says what it means in the person's words.
        verified = verify_authentication_response(
            credential=credential, expected_challenge=challenge, expected_rp_id=rp_id,
            expected_origin=origin, credential_public_key=key.public_key,
            credential_current_sign_count=0)
    except (WebAuthnException, ValueError) as error:
        raise KeyRefused(UNREADABLE) from error
    stored, new = key.sign_count, verified.new_sign_count
    # The counter must go up; synced passkeys keep none and report 0 every time.
    if (stored or new) and new <= stored:
        raise KeyRefused("This security key's use counter went backwards, so it may have been "
                         "copied. Use another key or your phone.")
    # Conditional on the counter we compared, so two answers racing cannot both pass it.
    won = db.session.execute(update(SecurityKey).where(
        SecurityKey.id == key.id, SecurityKey.sign_count == stored)
        .values(sign_count=new, last_used_at=utcnow()))
    db.session.commit()
    if won.rowcount != 1:
        raise KeyRefused("This security key was just used for another sign-in. Please try again.")
    db.session.refresh(key)
    return key
