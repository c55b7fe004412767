"""A software security key for the unit tests: real P-256 signatures, "none" attestation.

It answers the options JSON the app hands out exactly as a browser with a USB key would, so
py_webauthn checks genuine signatures; tests choose the origin and the use counter.
"""
import hashlib
import json
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from webauthn.helpers import bytes_to_base64url
from webauthn.helpers.encode_cbor import encode_cbor

USER_PRESENT, ATTESTED_DATA = 0x01, 0x40


def _client_data(kind: str, challenge: str, origin: str) -> bytes:
    """clientDataJSON as a browser writes it."""
    return json.dumps({"type": kind, "challenge": challenge, "origin": origin,
                       "crossOrigin": False}).encode()


class SoftKey:
    """One credential: a key pair, an id and a use counter."""

    def __init__(self, origin: str = "http://localhost:5000"):
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(32)
        self.origin, self.counter = origin, 0

    def _cose_public_key(self) -> bytes:
        numbers = self.private_key.public_key().public_numbers()
        return encode_cbor({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"),
                            -3: numbers.y.to_bytes(32, "big")})

    def create(self, options_json: str) -> str:
        """The answer to navigator.credentials.create() with these options."""
        options = json.loads(options_json)
        auth_data = (hashlib.sha256(options["rp"]["id"].encode()).digest()
                     + bytes([USER_PRESENT | ATTESTED_DATA]) + self.counter.to_bytes(4, "big")
                     + bytes(16) + len(self.credential_id).to_bytes(2, "big")
                     + self.credential_id + self._cose_public_key())
        attestation = encode_cbor({"fmt": "none", "attStmt": {}, "authData": auth_data})
        client_data = _client_data("webauthn.create", options["challenge"], self.origin)
        return json.dumps({
            "id": bytes_to_base64url(self.credential_id),
            "rawId": bytes_to_base64url(self.credential_id), "type": "public-key",
            "response": {"clientDataJSON": bytes_to_base64url(client_data),
                         "attestationObject": bytes_to_base64url(attestation),
                         "transports": ["usb"]},
            "clientExtensionResults": {}})

    def get(self, options_json: str, counter: int | None = None) -> str:
        """The answer to navigator.credentials.get(); the counter goes up unless one is given."""
        options = json.loads(options_json)  # answered even if not asked for: clients can lie
        if counter is None:
            self.counter += 1
        auth_data = (hashlib.sha256(options["rpId"].encode()).digest() + bytes([USER_PRESENT])
                     + (self.counter if counter is None else counter).to_bytes(4, "big"))
        client_data = _client_data("webauthn.get", options["challenge"], self.origin)
        signature = self.private_key.sign(auth_data + hashlib.sha256(client_data).digest(),
                                          ec.ECDSA(hashes.SHA256()))
        return json.dumps({
            "id": bytes_to_base64url(self.credential_id),
            "rawId": bytes_to_base64url(self.credential_id), "type": "public-key",
            "response": {"clientDataJSON": bytes_to_base64url(client_data),
                         "authenticatorData": bytes_to_base64url(auth_data),
                         "signature": bytes_to_base64url(signature), "userHandle": None},
            "clientExtensionResults": {}})
