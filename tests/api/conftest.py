"""Fixtures for the JSON API and Open311: tokens, client keys, grid geometry."""
import pytest

from community.api.tokens import create_token
from community.areas import geo
from community.core.extensions import db
from community.open311.keys import create_client
from community.core.timeutil import utcnow


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def token(people):
    """token("grid") -> the Authorization header for that person's new token."""
    def make(name: str, **kwargs) -> dict:
        _row, secret = create_token(getattr(people, name), utcnow(), **kwargs)
        db.session.commit()
        return bearer(secret)
    return make


@pytest.fixture
def o311_key(areas):
    _client, key = create_client("test-client", utcnow())
    db.session.commit()
    return key


def square(long: float, lat: float, size: float = 0.01) -> dict:
    return {"type": "Polygon", "coordinates": [[[long, lat], [long + size, lat],
                                                [long + size, lat + size], [long, lat + size],
                                                [long, lat]]]}


@pytest.fixture
def mapped(areas):
    """Grid S1C1G1 has a square boundary at (25.00–25.01 N, 102.00–102.01 E); its
    neighbour S1C1G2 the next square east; S2C1G1 only a centre point further east."""
    geo.set_boundary(areas.S1C1G1, square(102.00, 25.00))
    geo.set_boundary(areas.S1C1G2, square(102.01, 25.00))
    geo.set_centre(areas.S2C1G1, 25.005, 102.05)
    db.session.commit()
    return areas
