"""Issue 20: only the resident rates, never the rated; appeals judged from above.

Services, through the real workflow: the one rule for the resident's steps, the
single-use links texted for requests filed without an account, 回访 callbacks,
差评 reasons, appeals by the tier above, and the 办结 that explains itself."""
import io
from datetime import timedelta

import pytest
from PIL import Image

from community.core.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from community.core.extensions import db
from community.ratings import appeals, services
from community.ratings.models import (Appeal, CaseState, Rating, RatingReason, RectificationCase,
                                      Resolution)
from community.tickets import links
from community.tickets.access import check_resident_step, resident_step_allowed
from community.tickets.models import ResidentLink, Ticket, TicketEvent
from community.tickets.photos import clean_photo
from community.tickets.services import cancel
from community.workqueue import actions, routing
from tests.factories import (
    H, T0, count, daiban, file_ticket, make_supervisor, resolved_daiban, resolved_ticket,
    texted_link, texts_to)

LATER = T0 + 5 * H


def _nothing_rated():
    return count(Rating) == 0 and count(RectificationCase) == 0 and count(RatingReason) == 0


# -- who may rate, cancel, reopen: the one rule ------------------------------------------

def test_the_code_alone_reads_and_adds_information_only(ctx, people, areas):
    mine, theirs = file_ticket(people, areas), daiban(people, areas)
    for step in ("read", "add_info"):
        check_resident_step(mine, None, step)
    for ticket in (mine, theirs):
        for step in ("cancel", "reopen", "rate"):
            assert not resident_step_allowed(ticket, None, step)          # the code's holder
            assert not resident_step_allowed(ticket, people.grid, step)   # staff, whatever they hold
    assert resident_step_allowed(mine, people.resident, "cancel")
    assert not resident_step_allowed(mine, people.resident2, "cancel")


def test_attack_1_a_grid_worker_cannot_rate_their_own_daiban(ctx, people, areas):
    ticket = resolved_daiban(people, areas)
    assert ticket.resident_id is None and ticket.channel == "grid_worker"
    for who in (None, people.grid, people.community, people.street):
        with pytest.raises(NotAllowed):
            services.rate(ticket, who, LATER, "yes", "very_satisfied")
    db.session.rollback()
    assert _nothing_rated()


def test_attack_2_the_code_alone_neither_cancels_nor_reopens(ctx, people, areas):
    waiting = file_ticket(people, areas)
    with pytest.raises(NotAllowed):
        cancel(waiting, None, LATER, "不要了")
    done = resolved_ticket(people, areas)
    with pytest.raises(NotAllowed):
        actions.reopen(done, None, LATER, "没修好")
    db.session.rollback()
    assert db.session.get(Ticket, waiting.id).state == "submitted"
    assert db.session.get(Ticket, done.id).state == "resolved"
    assert [e.action for e in db.session.get(Ticket, done.id).events] == ["submit", "accept", "resolve"]


def test_the_account_cancels_and_reopens(ctx, people, areas):
    waiting = file_ticket(people, areas)
    cancel(waiting, people.resident, LATER, "已自行解决")
    done = resolved_ticket(people, areas)
    actions.reopen(done, people.resident, LATER, "没修好")
    assert (waiting.state, done.state) == ("cancelled", "reopened")


# -- the single-use links ----------------------------------------------------------------

def test_daiban_texts_the_code_and_a_link_then_a_rating_link_at_resolution(ctx, people, areas):
    ticket = daiban(people, areas)
    filing_texts = texts_to(ticket.contact_phone)
    assert any(ticket.tracking_code in t and "/r/" in t for t in filing_texts)
    first = texted_link(ticket)
    actions.accept(ticket, people.grid, T0 + H)
    actions.resolve(ticket, people.grid, T0 + 2 * H, "solved", "已修好。")
    db.session.commit()
    second = texted_link(ticket)
    assert second != first
    assert any("评价" in t and second in t for t in texts_to(ticket.contact_phone))
    with pytest.raises(NotAllowed):  # replaced by the newer one
        links.find(first, LATER)
    link = links.find(second, LATER)
    assert link.resolution_id == ticket_resolution(ticket).id
    assert link.expires_at == T0 + 2 * H + timedelta(days=7)  # the rating window


def test_a_resident_with_an_account_gets_no_link(ctx, people, areas):
    ticket = resolved_ticket(people, areas)
    assert count(ResidentLink) == 0
    assert not [t for t in texts_to(ticket.contact_phone) if "/r/" in t]


def ticket_resolution(ticket):
    return db.session.scalar(db.select(Resolution).where(Resolution.ticket_id == ticket.id))


def test_only_a_hash_of_the_link_is_kept(ctx, people, areas):
    ticket = resolved_daiban(people, areas)
    token = texted_link(ticket)
    stored = [row.secret_hash for row in db.session.scalars(db.select(ResidentLink))]
    assert all(len(h) == 64 and h not in token for h in stored)


def test_the_link_rates_once_then_is_used_up(ctx, people, areas):
    ticket = resolved_daiban(people, areas)
    token = texted_link(ticket)
    rating = services.rate(ticket, None, LATER, "yes", "satisfied", link=links.find(token, LATER))
    db.session.commit()
    assert (rating.channel, rating.rater_id) == ("link", None)
    with pytest.raises(NotAllowed, match="用过"):  # used twice: refused
        links.find(token, LATER + H)
    assert count(Rating) == 1


def test_an_expired_link_is_refused(ctx, people, areas):
    ticket = resolved_daiban(people, areas)
    token = texted_link(ticket)
    with pytest.raises(NotAllowed, match="过期"):
        links.find(token, T0 + 2 * H + timedelta(days=7, seconds=1))
    assert _nothing_rated()


def test_a_forged_or_mangled_link_is_refused(ctx, people, areas):
    ticket = resolved_daiban(people, areas)
    token = texted_link(ticket)
    for bad in (token[:-2] + "xx", "nonsense", ""):
        with pytest.raises(NotFound):
            links.find(bad, LATER)


def test_staff_holding_the_link_still_cannot_rate(ctx, people, areas):
    ticket = resolved_daiban(people, areas)
    link = links.find(texted_link(ticket), LATER)
    with pytest.raises(NotAllowed):
        services.rate(ticket, people.grid, LATER, "yes", "very_satisfied", link=link)
    db.session.rollback()
    assert _nothing_rated() and db.session.get(ResidentLink, link.id).used_at is None


def test_the_filing_link_cancels_once_and_never_rates(ctx, people, areas):
    ticket = daiban(people, areas)
    link = links.find(texted_link(ticket), T0 + H)
    with pytest.raises(NotAllowed):
        check_resident_step(ticket, None, "rate", link)
    cancel(ticket, None, T0 + H, "已自行解决", link=link)
    db.session.commit()
    assert ticket.state == "cancelled" and link.used_for == "cancel"
    with pytest.raises(Conflict):  # the same link object, sent again at once
        links.use(link, "cancel", T0 + H)


def test_the_rating_link_reopens_instead_and_is_used_up(ctx, people, areas):
    ticket = resolved_daiban(people, areas)
    token = texted_link(ticket)
    actions.reopen(ticket, None, LATER, "水管还在漏", link=links.find(token, LATER))
    db.session.commit()
    assert ticket.state == "reopened"
    with pytest.raises(NotAllowed):
        links.find(token, LATER + H)


def test_a_staff_filer_cannot_give_their_own_phone(ctx, people, areas):
    people.grid.phone = "13977776666"
    db.session.commit()
    with pytest.raises(ValidationFailed):
        daiban(people, areas, phone="139 7777 6666")
    db.session.rollback()
    assert count(Ticket) == 0


# -- 回访: the callback officer of a unit that did not handle it ----------------------------

def test_a_county_callback_records_the_rating_named_in_the_audit(ctx, people, areas):
    ticket = resolved_daiban(people, areas)
    rating = services.record_callback_rating(
        ticket, people.county, LATER, services.Answer("no", "dissatisfied", "老人说水管还在滴水",
                                                      ["not_solved", "not_contacted"]))
    db.session.commit()
    assert (rating.channel, rating.recorded_by_id, rating.rater_id) == ("callback", people.county.id, None)
    assert rating.reason_codes == ["not_contacted", "not_solved"] and rating.case is not None
    event = db.session.scalar(db.select(TicketEvent).where(TicketEvent.action == "callback_rating"))
    assert event.actor_id == people.county.id and not event.public
    with pytest.raises(NotAllowed):  # the resident has answered: the texted link is spent
        links.find(texted_link(ticket), LATER)


def test_a_callback_by_an_officer_of_the_handling_unit_is_refused(ctx, people, areas):
    ticket = daiban(people, areas)
    actions.accept(ticket, people.grid, T0 + H)
    routing.escalate(ticket, people.grid, T0 + H, "需要街道", "street")
    actions.accept(ticket, people.street, T0 + 2 * H)
    actions.resolve(ticket, people.street, T0 + 3 * H, "solved", "街道已协调。")
    db.session.commit()
    answer = services.Answer("yes", "very_satisfied")
    for officer in (people.street, people.grid, people.community, people.street2):
        with pytest.raises(NotAllowed):
            services.record_callback_rating(ticket, officer, LATER, answer)
        db.session.rollback()
    assert _nothing_rated()
    services.record_callback_rating(ticket, people.county, LATER, answer)  # a unit that did not


def test_the_supervisor_records_callbacks_even_where_the_county_handled(ctx, people, areas):
    supervisor = make_supervisor(areas)
    ticket = daiban(people, areas)
    routing.escalate(ticket, people.grid, T0 + H, "需要区里", "county")
    actions.accept(ticket, people.county, T0 + 2 * H)
    actions.resolve(ticket, people.county, T0 + 3 * H, "solved", "区里已协调。")
    db.session.commit()
    with pytest.raises(NotAllowed):
        services.record_callback_rating(ticket, people.county, LATER, services.Answer("yes", "satisfied"))
    db.session.rollback()
    rating = services.record_callback_rating(ticket, supervisor, LATER, services.Answer("yes", "satisfied"))
    assert rating.recorded_by_id == supervisor.id


def test_no_callback_rating_for_a_resident_with_an_account(ctx, people, areas):
    ticket = resolved_ticket(people, areas)
    with pytest.raises(NotAllowed):
        services.record_callback_rating(ticket, people.county, LATER, services.Answer("yes", "satisfied"))
    db.session.rollback()
    assert _nothing_rated()


# -- 差评 reasons -------------------------------------------------------------------------

@pytest.mark.parametrize("reasons, other", [([], ""), (["other"], ""), (["rude"], ""),
                                            (["other"], "长" * 201)])
def test_a_bad_rating_needs_valid_reasons(ctx, people, areas, reasons, other):
    ticket = resolved_ticket(people, areas)
    with pytest.raises(ValidationFailed):
        services.rate(ticket, people.resident, LATER, "no", "very_dissatisfied", reasons=reasons,
                      other=other)
    db.session.rollback()
    assert _nothing_rated()


def test_reasons_are_stored_per_rating_and_counted_per_unit(ctx, people, areas):
    from community.stats.reasons import reason_counts

    bad = resolved_ticket(people, areas)
    services.rate(bad, people.resident, LATER, "no", "dissatisfied",
                  reasons=["too_slow", "other", "too_slow"], other="打了三次电话")
    good = resolved_ticket(people, areas)
    kept = services.rate(good, people.resident, LATER, "yes", "satisfied", reasons=["attitude"])
    db.session.commit()
    rating = db.session.scalar(db.select(Rating).where(Rating.ticket_id == bad.id))
    assert rating.reason_codes == ["other", "too_slow"] and rating.other_reason == "打了三次电话"
    assert kept.reasons == []  # a good rating carries none
    day = (T0 + 8 * H).date()
    counts = reason_counts([areas.S1C1G1, areas.S1C1, areas.S1, areas.C, areas.S2], day, day)
    for unit in (areas.S1C1G1, areas.S1C1, areas.S1, areas.C):
        assert counts[unit.id]["too_slow"] == 1 and counts[unit.id]["other"] == 1
        assert counts[unit.id]["attitude"] == 0
    assert sum(counts[areas.S2.id].values()) == 0


# -- appeals judged from above ------------------------------------------------------------

def _bad_rating(ticket, people):
    return services.rate(ticket, people.resident, LATER, "no", "very_dissatisfied", "乱评",
                         reasons=["attitude"])


def test_a_grids_appeal_goes_to_its_street(ctx, people, areas):
    rating = _bad_rating(resolved_ticket(people, areas), people)
    appeal = appeals.file_appeal(rating, people.grid, LATER, "与本次办理无关")
    assert appeal.judge == "street"
    for outsider in (people.grid, people.community, people.county, people.admin):
        with pytest.raises(NotAllowed):
            appeals.decide_appeal(appeal, outsider, LATER, True)
    appeals.decide_appeal(appeal, people.street, LATER + H, False, "评价属实")
    assert appeal.state == "rejected" and not rating.excluded


def test_attack_3_a_street_cannot_overturn_its_own_bad_rating(ctx, people, areas):
    ticket = file_ticket(people, areas)
    routing.escalate(ticket, people.grid, T0 + H, "需要街道", "street")
    actions.accept(ticket, people.street, T0 + 2 * H)
    actions.resolve(ticket, people.street, T0 + 3 * H, "solved", "街道已处理。")
    rating = _bad_rating(ticket, people)
    appeal = appeals.file_appeal(rating, people.street, LATER, "恶意评价")
    db.session.commit()
    assert appeal.judge == "county"
    with pytest.raises(NotAllowed):
        appeals.decide_appeal(appeal, people.street, LATER + H, True)
    db.session.rollback()
    assert not db.session.get(Rating, rating.id).excluded
    assert db.session.get(Appeal, appeal.id).state == "pending"
    appeals.decide_appeal(appeal, people.county, LATER + H, True, "经核实与本诉求无关")
    db.session.commit()
    case = db.session.get(RectificationCase, rating.case.id)
    assert rating.excluded and case.state == CaseState.CLOSED and case.closed_by_id == people.county.id
    assert count(Rating) == 1  # excluded, never deleted


def test_county_units_and_departments_appeal_to_the_supervisor(ctx, people, areas):
    supervisor = make_supervisor(areas)
    ticket = file_ticket(people, areas)
    routing.escalate(ticket, people.grid, T0 + H, "需要区里", "county")
    actions.accept(ticket, people.county, T0 + 2 * H)
    actions.resolve(ticket, people.county, T0 + 3 * H, "solved", "区里已处理。")
    rating = _bad_rating(ticket, people)
    appeal = appeals.file_appeal(rating, people.county, LATER, "与办理无关")
    assert appeal.judge == "supervisor"
    for refused in (people.county, people.street, people.admin):
        with pytest.raises(NotAllowed):
            appeals.decide_appeal(appeal, refused, LATER + H, True)
    appeals.decide_appeal(appeal, supervisor, LATER + H, True)
    assert rating.excluded and rating.case.state == CaseState.CLOSED


def test_the_supervisor_handles_nothing(ctx, people, areas):
    supervisor = make_supervisor(areas)
    ticket = file_ticket(people, areas)
    routing.escalate(ticket, people.grid, T0 + H, "需要区里", "county")
    for act in (lambda: actions.accept(ticket, supervisor, T0 + 2 * H),
                lambda: daiban(people, areas, by=supervisor)):
        with pytest.raises(NotAllowed):
            act()
        db.session.rollback()


# -- 办结 explains ---------------------------------------------------------------------------

def _photo():
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (20, 120, 40)).save(out, "JPEG")
    out.seek(0)
    return clean_photo(out, "result.jpg")


def test_resolving_needs_a_reply_and_takes_up_to_three_photos(ctx, people, areas):
    ticket = file_ticket(people, areas)
    actions.accept(ticket, people.grid, T0 + H)
    for result, note, photos in (("solved", "", []), ("solved", "   ", []), ("", "已修好", []),
                                 ("solved", "已修好", [_photo() for _ in range(4)])):
        with pytest.raises(ValidationFailed):
            actions.resolve(ticket, people.grid, T0 + 2 * H, result, note, photos)
    event = actions.resolve(ticket, people.grid, T0 + 2 * H, "solved", "已更换灯泡。",
                            [_photo(), _photo()])
    db.session.commit()
    assert event.public and len(event.photos) == 2 and ticket.result_note == "已更换灯泡。"
