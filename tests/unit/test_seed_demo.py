"""`flask seed-demo`: the demo county, accounts for every role and a few hundred
requests in varied states; a second run changes nothing."""
from sqlalchemy import func, select

from community.areas.models import Unit
from community.areas.services import list_units
from community.auth.models import User
from community.auth.services import check_password
from community.demo.seed import DEMO_PASSWORD
from community.core.extensions import db
from community.tickets.models import Ticket, TicketEvent
from tests.factories import count

ACCOUNTS = ["admin", "county1", "dept1", "street1", "community1", "grid1"]


def user(login) -> User:
    return db.session.scalar(select(User).where((User.username == login) | (User.phone == login)))


def test_seed_demo_builds_a_living_county_once(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1].endswith(DEMO_PASSWORD)

    assert [len(list_units(kind)) for kind in ("county", "street", "community", "grid")] == [1, 3, 12, 48]
    assert len(list_units("department")) >= 1

    for login in ACCOUNTS + ["13800000001"]:
        account = user(login)
        assert account is not None, login
        assert check_password(account, DEMO_PASSWORD), login
    roles = {login: user(login).role for login in ACCOUNTS}
    assert roles == {"admin": "admin", "county1": "county", "dept1": "department",
                     "street1": "street", "community1": "community", "grid1": "grid"}
    grid1, community1 = user("grid1").unit, user("community1").unit
    street1, county1 = user("street1").unit, user("county1").unit
    assert grid1.kind == "grid" and grid1.community_id == community1.id
    assert community1.street_id == street1.id and street1.county_id == county1.id
    assert user("dept1").unit.kind == "department" and user("dept1").unit.county_id == county1.id

    tickets = count(Ticket)
    assert tickets >= 300
    states = dict(db.session.execute(select(Ticket.state, func.count()).group_by(Ticket.state)).all())
    assert "submitted" in states and len(states) > 1, states  # a living system, not a fresh one
    assert db.session.scalar(select(func.count()).select_from(Ticket)
                             .where(Ticket.resident_id == user("13800000001").id)) > 0
    events, units, users = count(TicketEvent), count(Unit), count(User)

    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0 and "not loaded again" in again.output
    assert (count(Ticket), count(TicketEvent), count(Unit), count(User)) == (tickets, events, units, users)


def test_seed_demo_with_fewer_requests(app):
    result = app.test_cli_runner().invoke(args=["seed-demo", "--tickets", "20"])
    assert result.exit_code == 0, result.output
    assert count(Ticket) == 20
    assert len(list_units("grid")) == 48
