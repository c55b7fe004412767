"""Sealed secrets: opened only by the app's keys, and still opened after a key rotation."""
import pytest
from flask import Flask

from twofactor.factors.secretbox import SealBroken, seal, unseal

KEY_A = "old-key-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
KEY_B = "new-key-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def keyed(key, fallbacks=()):
    """An app context whose SECRET_KEY is ``key``, with these fallback keys."""
    app = Flask(__name__)
    app.config.update(SECRET_KEY=key, SECRET_KEY_FALLBACKS=list(fallbacks))
    return app.app_context()


def test_seal_round_trip_hides_the_text():
    with keyed(KEY_A):
        token = seal(SECRET)
        assert SECRET not in token and KEY_A not in token
        assert unseal(token) == (SECRET, False)
        assert seal(SECRET) != token  # a fresh IV each time: equal secrets do not show as equal


def test_key_given_as_bytes_works_like_text():
    with keyed(KEY_A):
        token = seal(SECRET)
    with keyed(KEY_A.encode()):
        assert unseal(token) == (SECRET, False)


def test_fallback_key_opens_and_reports_stale():
    with keyed(KEY_A):
        old = seal(SECRET)
    with keyed(KEY_B, [KEY_A]):
        assert unseal(old) == (SECRET, True)
        assert unseal(seal(SECRET)) == (SECRET, False)  # new seals use the current key


def test_unrelated_key_cannot_open():
    with keyed(KEY_A):
        token = seal(SECRET)
    with keyed(KEY_B), pytest.raises(SealBroken):
        unseal(token)
    with keyed(KEY_B, ["some-other-key-cccccccccccccccccccccccccc"]), pytest.raises(SealBroken):
        unseal(token)


def test_fallback_never_seals():
    with keyed(KEY_B, [KEY_A]):
        token = seal(SECRET)
    with keyed(KEY_A), pytest.raises(SealBroken):
        unseal(token)


@pytest.mark.parametrize("damage", [lambda t: t[:-2] + ("A" if t[-2] != "A" else "B") + t[-1],
                                    lambda t: t[:40], lambda t: "", lambda t: "not a token"])
def test_tampered_token_is_refused(damage):
    with keyed(KEY_A):
        token = seal(SECRET)
        with pytest.raises(SealBroken):
            unseal(damage(token))
