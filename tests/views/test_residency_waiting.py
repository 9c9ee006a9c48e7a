"""/residency, the list a community office or its grid workers verify from (issue 30: it
now reads two indexed sets instead of every resident of the city): who waits, who does
not, the phone search, and who may not open it."""
from datetime import timedelta

import pytest

from community.auth.models import Role, User
from community.core.extensions import db
from community.residency import services
from tests.factories import T0, hashed_password, login

FROZEN_AT = T0 + timedelta(days=1)
pytestmark = pytest.mark.usefixtures("frozen")


def _resident(phone, name, home, active=True):
    user = User(phone=phone, name=name, role=Role.RESIDENT, password_hash=hashed_password(),
                created_at=T0, home_community=home, active=active)
    db.session.add(user)
    db.session.flush()
    return user


@pytest.fixture
def waiting(people, areas):
    """Residents around S1C1: who waits for it and who does not."""
    rows = {
        "stated": _resident("13911110001", "注册填本社区", areas.S1C1),
        "asked": _resident("13911110002", "从别的社区申请来", areas.S2C1),
        "asked_elsewhere": _resident("13911110003", "申请去别的社区", areas.S1C1),
        "verified": _resident("13911110004", "已核实的", areas.S1C1),
        "verified_elsewhere": _resident("13911110005", "在别处核实的", areas.S1C1),
        "inactive": _resident("13911110006", "已停用的", areas.S1C1, active=False),
    }
    services.request_residency(rows["asked"], T0, areas.S1C1.id, "3号楼")
    services.request_residency(rows["asked_elsewhere"], T0, areas.S1C2.id)
    services.verify(people.community, T0, rows["verified"].id)
    services.request_residency(rows["verified_elsewhere"], T0, areas.S1C2.id)
    services.verify(people.community2, T0, rows["verified_elsewhere"].id)
    rows["verified_elsewhere"].home_community = areas.S1C1  # as signed up, before that rule
    db.session.commit()
    return rows


def test_the_list_holds_who_asked_and_who_named_the_community_only(ctx, people, waiting):
    names = {user.name for user, _request in services.waiting(people.community)}
    assert {"注册填本社区", "从别的社区申请来"} <= names
    assert not names & {"申请去别的社区", "已核实的", "在别处核实的", "已停用的"}
    asked = dict((user.name, request) for user, request in services.waiting(people.community))
    assert asked["从别的社区申请来"].note == "3号楼" and asked["注册填本社区"] is None
    other = {user.name for user, _request in services.waiting(people.community2)}
    assert "申请去别的社区" in other and "注册填本社区" not in other


def test_the_page_finds_by_phone_and_verifies_from_the_list(client, people, waiting):
    login(client, "grid")  # a grid worker of S1C1
    body = client.get("/residency").get_data(as_text=True)
    assert "注册填本社区" in body and "从别的社区申请来" in body and "已停用的" not in body
    assert "已核实的" in body  # under 最近核实
    found = client.get("/residency?phone=13911110002").get_data(as_text=True)
    assert "从别的社区申请来" in found and "注册填本社区" not in found
    assert services._waiting_here(waiting["stated"], people.grid.unit.community_id)
    assert not services._waiting_here(waiting["asked_elsewhere"], people.grid.unit.community_id)


@pytest.mark.parametrize("who", ["street", "county", "dept", "admin", "13800000001"])
def test_nobody_else_opens_the_list(client, people, waiting, who):
    login(client, who)
    assert client.get("/residency").status_code == 404


def test_another_communitys_office_does_not_see_these_residents(client, people, waiting):
    login(client, "community2")
    body = client.get("/residency").get_data(as_text=True)
    assert "注册填本社区" not in body and "申请去别的社区" in body
