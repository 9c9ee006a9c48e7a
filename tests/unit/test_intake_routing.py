"""Routing at intake: the location picks the grid, the category's tier picks the office."""
import pytest

from community.areas.services import (hint_in_address, load_areas, locate_grid, unit_at_tier,
                                      unit_by_code)
from community.core.errors import NotAllowed, ValidationFailed
from community.core.extensions import db
from community.tickets.models import Category, Ticket
from community.tickets.services import Filing, submit_ticket
from tests.factories import T0, count


def category(code) -> Category:
    return db.session.scalar(db.select(Category).where(Category.code == code))


def filing(areas, code="ELD", **extra) -> Filing:
    values = {"kind": "help", "category_code": code, "text": "请帮忙处理。",
              "community_id": areas.S1C1.id}
    values.update(extra)
    return Filing(**values)


# --- locate_grid ---------------------------------------------------------------------

@pytest.mark.parametrize("address,grid", [
    ("2号楼3单元501", "S1C1G2"),
    ("小区1号楼", "S1C1G1"),
    ("", "S1C1G1"),                 # nothing given: the community's first grid
    ("幸福路88号", "S1C1G1"),        # no address word matches: the first grid
    ("12号楼", "S1C1G1"),            # "2号楼" is not part of "12号楼"
    ("2号楼旁边的21号楼", "S1C1G2"),
])
def test_address_words_place_the_request(areas, address, grid):
    assert locate_grid(areas.S1C1, address) == getattr(areas, grid)


def test_longest_address_word_wins(areas):
    areas.S1C1G1.address_hints = "翠湖小区"
    areas.S1C1G2.address_hints = "翠湖小区东区,2号楼"
    db.session.flush()
    assert locate_grid(areas.S1C1, "翠湖小区东区5栋") == areas.S1C1G2
    assert locate_grid(areas.S1C1, "翠湖小区西区5栋") == areas.S1C1G1


def test_a_named_grid_wins_over_the_address(areas):
    assert locate_grid(areas.S1C1, "2号楼", grid_id=areas.S1C1G1.id) == areas.S1C1G1


def test_grid_outside_the_community_is_refused(areas, ctx):
    with pytest.raises(ValidationFailed) as refused:
        locate_grid(areas.S1C1, "", grid_id=areas.S1C2G1.id)
    assert refused.value.field == "grid"


def test_community_without_grids_is_refused(areas, ctx):
    load_areas([{"kind": "community", "code": "S1C9", "name": "新社区", "parent_code": "S1",
                 "address_hints": ""}])
    with pytest.raises(ValidationFailed) as refused:
        locate_grid(unit_by_code("S1C9"))
    assert refused.value.field == "community"


def test_inactive_grid_is_not_chosen(areas):
    areas.S1C1G1.active = False
    db.session.flush()
    assert locate_grid(areas.S1C1, "1号楼") == areas.S1C1G2


@pytest.mark.parametrize("hint,address,found", [
    ("2号楼", "2号楼", True), ("2号楼", "12号楼", False), ("A区1", "A区12栋", False),
    ("A区1", "A区1栋", True), ("翠湖", "翠湖小区", True), ("2号楼", "", False),
])
def test_hint_in_address(hint, address, found):
    assert hint_in_address(hint, address) is found


def test_unit_at_each_tier(areas):
    grid = areas.S2C1G2
    assert [unit_at_tier(grid, tier) for tier in ("grid", "community", "street", "county")] == \
        [areas.S2C1G2, areas.S2C1, areas.S2, areas.C]


# --- submit_ticket: the first handler -----------------------------------------------------

@pytest.mark.parametrize("code,tier,unit,level", [
    ("ELD", "grid", "S1C1G1", 1),
    ("PRP", "community", "S1C1", 1),
    ("ENV", "street", "S1", 2),
    ("EDU", "county", "C", 3),       # a department duty with no department named: the county
])
def test_category_tier_picks_the_first_handler(people, areas, ctx, code, tier, unit, level):
    ticket = submit_ticket(filing(areas, code), people.resident, T0)
    assert (ticket.tier, ticket.handling_unit, ticket.level) == (tier, getattr(areas, unit), level)
    assert (ticket.grid, ticket.community_id, ticket.street_id, ticket.county_id) == \
        (areas.S1C1G1, areas.S1C1.id, areas.S1.id, areas.C.id)
    assert ticket.id is not None and ticket.events[0].unit_id == ticket.handling_unit_id


def test_department_duty_at_county_tier_goes_to_the_categorys_department(people, areas, ctx):
    edu = category("EDU")
    assert edu.department_duty and edu.default_tier == "county"
    edu.department = areas.D2
    db.session.flush()
    ticket = submit_ticket(filing(areas, "EDU"), people.resident, T0)
    assert ticket.handling_unit == areas.D2 and ticket.tier == "county" and ticket.level == 3
    assert ticket.grid == areas.S1C1G1  # still located where the resident is


def test_department_below_county_tier_is_not_used(people, areas, ctx):
    env = category("ENV")  # street tier
    env.department = areas.D1
    db.session.flush()
    ticket = submit_ticket(filing(areas, "ENV"), people.resident, T0)
    assert ticket.handling_unit == areas.S1


def test_department_of_another_county_is_not_used(people, areas, ctx):
    load_areas([{"kind": "county", "code": "X", "name": "邻区", "parent_code": ""},
                {"kind": "department", "code": "XD", "name": "邻区教育局", "parent_code": "X"}])
    category("EDU").department = unit_by_code("XD")
    db.session.flush()
    ticket = submit_ticket(filing(areas, "EDU"), people.resident, T0)
    assert ticket.handling_unit == areas.C


def test_resident_filing_uses_their_phone_and_the_web_channel(people, areas, ctx):
    ticket = submit_ticket(filing(areas), people.resident, T0)
    assert ticket.resident == people.resident and ticket.contact_phone == "13800000001"
    assert ticket.channel == "web" and ticket.filed_by is None
    assert len(ticket.tracking_code) == 16 and ticket.tracking_code.isalnum()


def test_tracking_codes_differ(people, areas, ctx):
    codes = {submit_ticket(filing(areas), people.resident, T0).tracking_code for _ in range(20)}
    assert len(codes) == 20


def test_staff_filing_outside_their_unit_raises_not_allowed(people, areas, ctx):
    with pytest.raises(NotAllowed):
        submit_ticket(filing(areas, grid_id=areas.S1C1G2.id, channel="grid_worker",
                             contact_phone="13800000002"), people.grid, T0)
    db.session.rollback()
    assert count(Ticket) == 0


def test_over_long_contact_phone_is_refused(people, areas, ctx):
    with pytest.raises(ValidationFailed) as refused:
        submit_ticket(filing(areas, channel="hotline", contact_phone="1" * 21), people.grid, T0)
    assert refused.value.field == "contact_phone"
