"""Argon2's cost comes from COMMUNITY_ARGON2_PARAMETERS: the product's default is the
RFC 9106 low-memory profile, and a sign-in whose stored hash has another cost is
rehashed at the configured one (the suite runs at a tiny cost, tests/conftest.py)."""
import pytest
from argon2 import PasswordHasher
from argon2.exceptions import VerifyMismatchError

from community.auth.services import authenticate, check_password, hash_password
from community.core.config import Config
from community.core.extensions import db
from tests.factories import PASSWORD, T0

PRODUCT = "$argon2id$v=19$m=65536,t=3,p=4$"
SUITE = "$argon2id$v=19$m=1024,t=1,p=1$"


def test_the_product_hashes_at_the_rfc_9106_low_memory_cost(app, monkeypatch):
    assert Config.COMMUNITY_ARGON2_PARAMETERS == {"time_cost": 3, "memory_cost": 65536, "parallelism": 4}
    assert hash_password(PASSWORD).startswith(SUITE)  # the suite's own setting
    monkeypatch.setitem(app.config, "COMMUNITY_ARGON2_PARAMETERS", Config.COMMUNITY_ARGON2_PARAMETERS)
    stored = hash_password(PASSWORD)
    assert stored.startswith(PRODUCT)
    assert PasswordHasher().verify(stored, PASSWORD)  # what argon2-cffi's defaults read too


def test_a_sign_in_rehashes_a_password_kept_at_another_cost(people):
    resident = people.resident
    resident.password_hash = PasswordHasher().hash(PASSWORD)  # the product's cost
    db.session.commit()
    assert check_password(resident, PASSWORD) and not check_password(resident, "wrong-pass-123")
    assert authenticate(resident.phone, PASSWORD, T0) is resident
    db.session.commit()
    assert resident.password_hash.startswith(SUITE)
    assert check_password(resident, PASSWORD)
    with pytest.raises(VerifyMismatchError):
        PasswordHasher().verify(resident.password_hash, "wrong-pass-123")
