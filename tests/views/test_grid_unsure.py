"""No silent guess of a grid: a request whose address names no grid says so, to staff
and to the resident, and the grid worker or the community office settles it."""
import pytest

from community.areas.services import choose_grid, load_areas, unit_by_code
from community.core.errors import InvalidTransition, NotAllowed, ValidationFailed
from community.core.extensions import db
from community.tickets.models import Ticket, TicketEvent
from community.tickets.services import Filing, submit_ticket
from community.workqueue import actions, gridfix
from tests.factories import T0, csrf_from, login

pytestmark = pytest.mark.usefixtures("frozen")


def filed(people, areas, address="幸福路88号", grid_id=None):
    filing = Filing(kind="help", category_code="ELD", text="楼道灯坏了，请尽快修理。",
                    community_id=areas.S1C1.id, grid_id=grid_id, address=address)
    ticket = submit_ticket(filing, people.resident, T0)
    db.session.commit()
    return ticket


def post(client, ticket_id, action, **data):
    page = client.get(f"/work/tickets/{ticket_id}")
    return client.post(f"/work/tickets/{ticket_id}/{action}", data={"csrf_token": csrf_from(page), **data})


@pytest.mark.parametrize("address,grid_id,sure", [
    ("2号楼3单元501", None, True),   # an address word of grid 2
    ("幸福路88号", None, False),      # no word of any grid: the first grid stands in
    ("", None, False),
    ("幸福路88号", "S1C1G2", True),   # named on the form
])
def test_the_grid_is_chosen_or_said_to_be_a_stand_in(areas, address, grid_id, sure):
    grid, is_sure = choose_grid(areas.S1C1, address, getattr(areas, grid_id).id if grid_id else None)
    assert is_sure is sure and grid == (getattr(areas, grid_id) if grid_id else grid)


def test_a_community_with_one_grid_needs_no_address_word(areas, ctx):
    load_areas([{"kind": "community", "code": "S1C9", "name": "新社区", "parent_code": "S1"},
                {"kind": "grid", "code": "S1C9G1", "name": "唯一网格", "parent_code": "S1C9"}])
    assert choose_grid(unit_by_code("S1C9"), "幸福路88号") == (unit_by_code("S1C9G1"), True)


def test_a_filing_without_a_grid_word_is_marked_and_staff_and_resident_see_it(client, people, areas):
    unsure = filed(people, areas)
    sure = filed(people, areas, "2号楼3单元501")
    assert unsure.grid_unsure and unsure.grid == areas.S1C1G1 and not sure.grid_unsure
    assert "社区正在核实" in client.get(f"/t/{unsure.tracking_code}").get_data(as_text=True)
    assert "社区正在核实" not in client.get(f"/t/{sure.tracking_code}").get_data(as_text=True)
    login(client, "grid")
    queue = client.get("/work").get_data(as_text=True)
    assert queue.count("待核实") == 1
    page = client.get(f"/work/tickets/{unsure.id}").get_data(as_text=True)
    assert "网格待核实" in page and "网格无误" in page and "改到正确的网格" in page


def test_the_community_office_moves_it_to_the_right_grid(client, people, areas):
    ticket = filed(people, areas)
    login(client, "community")
    response = post(client, ticket.id, "correct_grid", grid=str(areas.S1C1G2.id))
    assert response.status_code == 302
    ticket = db.session.get(Ticket, ticket.id)
    assert ticket.grid == areas.S1C1G2 and ticket.handling_unit == areas.S1C1G2 and not ticket.grid_unsure
    assert ticket.state == "submitted" and ticket.accept_due_at is not None
    note = db.session.query(TicketEvent).filter_by(ticket_id=ticket.id, action="grid_corrected").one()
    assert not note.public and "网格1-1-1" in note.note and "网格1-1-2" in note.note
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/work"))})
    login(client, "grid2")  # the right grid's worker has it in the queue now
    assert ticket.tracking_code in client.get("/work").get_data(as_text=True)


def test_the_grid_worker_confirms_it(client, people, areas):
    ticket = filed(people, areas)
    login(client, "grid")
    assert post(client, ticket.id, "confirm_grid").status_code == 302
    ticket = db.session.get(Ticket, ticket.id)
    assert not ticket.grid_unsure and ticket.grid == areas.S1C1G1
    again = post(client, ticket.id, "confirm_grid")
    assert again.status_code == 409 and "已经确定" in again.get_data(as_text=True)


@pytest.mark.parametrize("who,status", [("street", 403), ("county", 403), ("community2", 404),
                                        ("grid3", 404)])
def test_others_cannot_settle_the_grid(client, people, areas, who, status):
    ticket = filed(people, areas)
    login(client, who)
    for action, data in (("confirm_grid", {}), ("correct_grid", {"grid": str(areas.S1C1G2.id)})):
        response = client.post(f"/work/tickets/{ticket.id}/{action}",
                               data={"csrf_token": csrf_from(client.get("/work")), **data})
        assert response.status_code == status
    ticket = db.session.get(Ticket, ticket.id)
    assert ticket.grid_unsure and ticket.grid == areas.S1C1G1


def test_a_grid_of_another_community_or_after_acceptance_is_refused(ctx, people, areas):
    ticket = filed(people, areas)
    with pytest.raises(ValidationFailed):
        gridfix.correct_grid(ticket, people.community, T0, areas.S1C2G1.id)
    with pytest.raises(NotAllowed):
        gridfix.confirm_grid(ticket, people.street, T0)
    actions.accept(ticket, people.grid, T0)
    with pytest.raises(InvalidTransition):  # accepted: the worker 退单s it instead
        gridfix.correct_grid(ticket, people.community, T0, areas.S1C1G2.id)
    db.session.rollback()
    assert db.session.get(Ticket, ticket.id).grid == areas.S1C1G1
