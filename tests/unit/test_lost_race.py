"""Only a unique refusal is a lost race (409); a NOT NULL refusal is a bug (500)."""
import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from community.areas.models import Unit
from community.core.extensions import db
from community.web import lost_race


def _refusal(row) -> IntegrityError:
    with pytest.raises(IntegrityError) as caught:
        with db.engine.begin() as conn:
            conn.execute(insert(Unit), [row])
    return caught.value


def test_a_duplicate_is_a_lost_race_and_a_missing_value_is_not(app, areas):
    taken = {"kind": "grid", "code": areas.S1C1G1.code, "name": "again", "parent_id": areas.S1C1.id}
    assert lost_race(_refusal(taken))
    assert not lost_race(_refusal({"kind": "grid", "code": "NEW", "name": None}))
