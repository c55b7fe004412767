"""Backup codes: ten random codes, kept only as salted hashes, each used once, even in a race."""
import math
import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from twofactor.extensions import db
from twofactor.factors import backup_codes
from twofactor.models import BackupCode, User

SHOWN = re.compile(r"[A-Z2-7]{4}(-[A-Z2-7]{4}){3}")


def user_id(app, name: str = "alice") -> int:
    with app.app_context():
        return db.session.scalar(db.select(User.id).where(User.username == name))


def new_set(app, name: str = "alice") -> list[str]:
    """A new set for ``name``, committed; the codes as shown."""
    with app.app_context():
        codes = backup_codes.new_set(db.session.get(User, user_id(app, name)))
        db.session.commit()
        return codes


def use(app, uid: int, typed: str) -> bool:
    """Use ``typed`` in a request of its own, and commit."""
    with app.app_context():
        ok = backup_codes.use(uid, typed)
        db.session.commit()
        return ok


def left(app, uid: int) -> int:
    with app.app_context():
        return backup_codes.left(uid)


def test_a_set_is_ten_distinct_80_bit_codes(app):
    codes = new_set(app)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(SHOWN.fullmatch(code) for code in codes)
    assert left(app, user_id(app)) == 10
    assert new_set(app) != codes  # fresh randomness each time


def test_only_salted_hashes_are_stored(app):
    codes = new_set(app)
    with app.app_context():
        hashes = db.session.scalars(db.select(BackupCode.code_hash)).all()
    plain = {c for code in codes for c in (code, code.replace("-", ""), code.lower())}
    assert not any(p in h for p in plain for h in hashes)
    assert all(h.startswith("pbkdf2:sha256:") for h in hashes)
    salts = [h.split("$")[1] for h in hashes]
    assert len(set(salts)) == 10
    assert all(len(salt) * math.log2(62) >= 32 for salt in salts)  # werkzeug salts: [A-Za-z0-9]


def test_a_code_works_once(app):
    uid = user_id(app)
    code = new_set(app)[0]
    assert use(app, uid, code)
    assert left(app, uid) == 9
    assert not use(app, uid, code)
    assert left(app, uid) == 9


@pytest.mark.parametrize("shape", [str.lower, lambda c: c.replace("-", ""),
                                   lambda c: c.replace("-", " "), lambda c: f" {c.lower()} "])
def test_case_dashes_and_spaces_do_not_matter(app, shape):
    uid = user_id(app)
    code = new_set(app)[3]
    assert use(app, uid, shape(code))
    assert not use(app, uid, code)


@pytest.mark.parametrize("typed", ["", None, "AAAA-AAAA-AAAA-AAA", "AAAA-AAAA-AAAA-AAAAA",
                                   "0000-1111-8888-9999", "AAAA_AAAA_AAAA_AAAA"])
def test_malformed_codes_are_refused(app, typed):
    uid = user_id(app)
    new_set(app)
    assert not use(app, uid, typed)
    assert left(app, uid) == 10


def test_a_wrong_code_and_another_users_code_are_refused(app):
    alice, bob = user_id(app), user_id(app, "bob")
    new_set(app)
    bobs = new_set(app, "bob")
    assert not use(app, alice, "AAAA-BBBB-CCCC-DDDD")
    assert not use(app, alice, bobs[0])
    assert left(app, alice) == 10 and left(app, bob) == 10


def test_a_new_set_kills_the_old_one(app):
    uid = user_id(app)
    old = new_set(app)
    assert use(app, uid, old[0])
    new = new_set(app)
    assert not any(use(app, uid, code) for code in old)
    assert left(app, uid) == 10
    assert use(app, uid, new[0])


def test_left_counts_only_this_users_unused_codes(app):
    alice = user_id(app)
    codes = new_set(app)
    new_set(app, "bob")
    for code in codes[:4]:
        assert use(app, alice, code)
    assert left(app, alice) == 6 and left(app, user_id(app, "bob")) == 10
    assert left(app, 999) == 0


@pytest.mark.parametrize("typed, code", [("abcd-efgh-ijkl-mnop", "ABCDEFGHIJKLMNOP"),
                                         ("ABCD EFGH IJKL MNOP", "ABCDEFGHIJKLMNOP"),
                                         ("ABCD-EFGH-IJKL-MNO1", None), ("ABCD", None)])
def test_normalize(typed, code):
    assert backup_codes.normalize(typed) == code


def test_one_code_from_many_threads_at_once_succeeds_exactly_once(app):
    uid = user_id(app)
    code = new_set(app)[5]
    start = threading.Barrier(6)

    def attempt(_):
        start.wait(timeout=30)
        return use(app, uid, code)

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(attempt, range(6), timeout=60))
    assert results.count(True) == 1
    assert left(app, uid) == 9
