"""楼门长: appointed by the community for buildings of a grid; they file 代办 there, see
and follow the requests located in their buildings and are told of each step. They
never handle, rate, or see a phone number. Every refusal is tested and changes nothing."""
import pytest

from community.buildings import services as buildings
from community.buildings.models import BuildingHead
from community.core.errors import NotAllowed, NotFound, ValidationFailed
from community.core.extensions import db
from community.ratings.models import Rating
from community.ratings.services import rate
from community.tickets.models import Ticket, TicketEvent
from community.tickets.services import Filing, submit_ticket
from community.workqueue import actions, contact
from community.workqueue.models import Notification
from tests.factories import count
from tests.factories import T0

from .helpers import H, resolve, ticket_about


@pytest.fixture
def head(app, people, areas):
    """resident2 heads 1号楼 and 3号楼 of grid S1C1G1."""
    buildings.appoint(people.community, T0, "13800000002", areas.S1C1G1.id, "1号楼，3号楼")
    db.session.commit()
    return people.resident2


def neighbour_filing(areas, **kwargs):
    given = {"kind": "help", "category_code": "ELD", "text": "独居老人家里水管漏了。",
             "community_id": areas.S1C1.id, "grid_id": areas.S1C1G1.id, "address": "幸福小区1号楼302",
             "contact_name": "王奶奶", "contact_phone": "13900001111", "channel": "grid_worker",
             "on_behalf": True}
    given.update(kwargs)
    return Filing(**given)


def test_community_appoints_and_ends(app, people, areas, head):
    rows = buildings.current_of(head)
    assert sorted(r.building for r in rows) == ["1号楼", "3号楼"]
    assert all(r.grid_id == areas.S1C1G1.id and r.appointed_by_id == people.community.id for r in rows)
    assert buildings.appoint(people.community, T0, "13800000002", areas.S1C1G1.id, "1号楼") == []  # held
    buildings.end(people.community, T0 + H, rows[0].id)
    db.session.commit()
    assert [r.building for r in buildings.current_of(head)] == ["3号楼"]
    assert count(BuildingHead) == 2  # kept as history


@pytest.mark.parametrize("who", ["community2", "grid", "street", "county", "resident"])
def test_only_the_community_office_appoints(app, people, areas, who):
    with pytest.raises(NotAllowed):
        buildings.appoint(getattr(people, who), T0, "13800000002", areas.S1C1G1.id, "1号楼")
    assert count(BuildingHead) == 0


@pytest.mark.parametrize("phone, grid, names, field", [
    ("13999999999", "S1C1G1", "1号楼", "phone"),     # no such resident
    ("grid", "S1C1G1", "1号楼", "phone"),            # staff are not residents
    ("13800000002", "S1C1", "1号楼", "grid"),        # a community is not a grid
    ("13800000002", "S1C1G1", " , ", "buildings"),
    ("13800000002", "S1C1G1", "楼" * 61, "buildings")])
def test_bad_appointments_are_refused(app, people, areas, phone, grid, names, field):
    with pytest.raises(ValidationFailed) as refused:
        buildings.appoint(people.community, T0, phone, getattr(areas, grid).id, names)
    assert refused.value.field == field and count(BuildingHead) == 0


def test_other_community_cannot_end_an_appointment(app, people, areas, head):
    row = buildings.current_of(head)[0]
    with pytest.raises(NotFound):
        buildings.end(people.community2, T0, row.id)
    assert row.ended_at is None


def test_head_sees_the_requests_of_their_buildings_only(app, people, areas, head):
    mine = ticket_about(people, areas, None, address="幸福小区3号楼101")
    other_building = ticket_about(people, areas, None, address="幸福小区2号楼101")
    other_grid = ticket_about(people, areas, None, address="3号楼", grid=areas.S1C1G2)
    assert buildings.tickets_of(head) == [mine]
    assert buildings.visible_ticket(head, mine.id) is mine
    for ticket in (other_building, other_grid):
        with pytest.raises(NotFound):
            buildings.visible_ticket(head, ticket.id)
    with pytest.raises(NotFound):
        buildings.visible_ticket(people.resident3, mine.id)  # not a head
    buildings.end(people.community, T0, buildings.current_of(head)[0].id)
    buildings.end(people.community, T0, buildings.current_of(head)[0].id)
    assert buildings.tickets_of(head) == []  # ended: sees nothing


def test_head_files_on_behalf_inside_their_buildings(app, people, areas, head):
    ticket = submit_ticket(neighbour_filing(areas), head, T0)
    db.session.commit()
    assert ticket.filed_by_id == head.id and ticket.resident_id is None
    assert ticket.channel == "grid_worker" and ticket.contact_phone == "13900001111"
    assert ticket.events[0].actor_id == head.id


@pytest.mark.parametrize("kwargs, error", [
    ({"address": "幸福小区2号楼302"}, NotAllowed),           # not their building
    ({"grid_id": "S1C1G2", "address": "1号楼"}, NotAllowed),  # another grid
    ({"contact_phone": ""}, ValidationFailed),               # the neighbour's phone is needed
    ({"contact_phone": "13800000002"}, ValidationFailed),     # not the head's own
    ({"channel": "web"}, ValidationFailed)])
def test_head_filing_refusals(app, people, areas, head, kwargs, error):
    if kwargs.get("grid_id") == "S1C1G2":
        kwargs["grid_id"] = areas.S1C1G2.id
    with pytest.raises(error):
        submit_ticket(neighbour_filing(areas, **kwargs), head, T0)
    db.session.rollback()
    assert count(Ticket) == 0


def test_a_resident_who_is_not_a_head_cannot_file_for_others(app, people, areas):
    with pytest.raises(NotAllowed):
        submit_ticket(neighbour_filing(areas), people.resident, T0)
    db.session.rollback()
    assert count(Ticket) == 0


def test_head_is_told_of_each_public_step_in_their_buildings(app, people, areas, head):
    ticket = ticket_about(people, areas, None, address="3号楼")
    elsewhere = ticket_about(people, areas, None, address="2号楼")
    actions.accept(ticket, people.grid, T0 + H)
    actions.accept(elsewhere, people.grid, T0 + H)
    db.session.commit()
    notes = Notification.query.filter_by(user_id=head.id).all()
    assert {n.ticket_id for n in notes} == {ticket.id}
    assert len(notes) == 1 and all(n.phone == "" for n in notes)  # the 签收; never texted
    assert all(ticket.tracking_code in n.text for n in notes)


def test_head_cannot_handle(app, people, areas, head):
    ticket = ticket_about(people, areas, None, address="1号楼")
    for step in (lambda: actions.accept(ticket, head, T0 + H),
                 lambda: actions.resolve(ticket, head, T0 + H, "solved", "好了")):
        with pytest.raises(NotAllowed):
            step()
    assert ticket.state == "submitted"


def test_head_cannot_rate_their_buildings_requests_nor_their_own_filings(app, people, areas, head):
    neighbours = ticket_about(people, areas, None, address="1号楼")
    filed = submit_ticket(neighbour_filing(areas), head, T0)
    db.session.commit()
    for ticket in (neighbours, filed):
        resolve(ticket, people, T0 + H)
        with pytest.raises(NotAllowed):
            rate(ticket, head, T0 + 3 * H, "yes", "satisfied")
        db.session.rollback()
    assert count(Rating) == 0


def test_head_never_sees_a_phone_number(app, people, areas, head):
    ticket = ticket_about(people, areas, None, address="1号楼")
    with pytest.raises(NotAllowed):
        contact.reveal_contact(ticket, head, T0 + H)
    db.session.rollback()
    assert contact.masked_contact(ticket) == "138****0001"
    assert not any(e.action == "contact_revealed" for e in TicketEvent.query.all())
