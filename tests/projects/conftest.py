"""Residents vote where their community verified them: here the office of S1C1 has
verified resident and resident2 (resident3, of S2C1, stays unverified)."""
from datetime import timedelta

import pytest

from community.core.extensions import db
from community.residency.services import verify
from tests.factories import T0


def verify_residents(people):
    for resident in (people.resident, people.resident2):
        verify(people.community, T0 - timedelta(days=30), resident.id)
    db.session.commit()


@pytest.fixture(autouse=True)
def _verified(request):
    if "people" in request.fixturenames:
        verify_residents(request.getfixturevalue("people"))
