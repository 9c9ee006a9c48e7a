"""Project rules: the state table, who votes, the thresholds, the budget, scope, judging."""
import io

import pytest
from PIL import Image
from sqlalchemy.exc import IntegrityError

from community.core.errors import Conflict, InvalidTransition, NotAllowed, NotFound, ValidationFailed
from community.core.extensions import db
from community.projects import access, budget, deliberation, judging, lists, rules, services
from community.projects.models import Project, SpendingLine, Vote
from community.projects.states import ALLOWED_TRANSITIONS, ProjectState
from tests.factories import (
    DAY, T0, approved, count, deliberating, file_ticket, passing, proposal, street_rules)



def test_no_state_skips_deliberation_or_approval():
    reachable_from_proposed = ALLOWED_TRANSITIONS[ProjectState.PROPOSED]
    assert ProjectState.APPROVED not in reachable_from_proposed
    assert ProjectState.IN_PROGRESS not in ALLOWED_TRANSITIONS[ProjectState.DELIBERATING]


def test_proposed_project_cannot_be_approved_or_started(people, areas):
    project = proposal(people)
    with pytest.raises(InvalidTransition):
        services.approve(project, people.community, T0)
    with pytest.raises(InvalidTransition):
        services.start(project, people.community, T0)
    db.session.rollback()
    assert db.session.get(Project, project.id).state == "proposed"
    assert [e.action for e in project.events] == ["propose"]


def test_every_change_writes_an_event(people, areas):
    project = approved(people, areas)
    services.start(project, people.community, T0 + 4 * DAY)
    moves = [(e.from_state, e.to_state, e.actor_id) for e in project.events if e.to_state]
    assert moves == [(None, "proposed", people.resident.id),
                     ("proposed", "deliberating", people.community.id),
                     ("deliberating", "approved", people.community.id),
                     ("approved", "in_progress", people.community.id)]


def test_only_residents_of_the_community_vote_once_each(people, areas):
    project = proposal(people)
    with pytest.raises(InvalidTransition):  # not deliberating yet
        deliberation.vote(project, people.resident, T0, "support")
    services.open_deliberation(project, people.community, T0)
    deliberation.vote(project, people.resident, T0, "support")
    db.session.commit()
    with pytest.raises(Conflict):
        deliberation.vote(project, people.resident, T0, "oppose")
    db.session.rollback()
    for outsider in (people.resident3, people.community, people.street):
        with pytest.raises(NotAllowed):
            deliberation.vote(project, outsider, T0, "support")
    assert deliberation.vote_counts(project.id) == {"support": 1, "oppose": 0}
    # The database holds the line too, whatever a service might do.
    db.session.add(Vote(project_id=project.id, user_id=people.resident.id, choice="oppose", at=T0))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_approval_needs_the_residents_votes_by_the_streets_rules(people, areas):
    street_rules(people, areas, quorum=2, support_min=2)
    project = deliberating(people, areas)
    deliberation.vote(project, people.resident, T0, "support")
    with pytest.raises(ValidationFailed, match="参与表决"):
        services.approve(project, people.community, T0)
    deliberation.vote(project, people.resident2, T0, "support")
    with pytest.raises(ValidationFailed, match="会议"):
        services.approve(project, people.community, T0)
    deliberation.record_meeting(project, people.community, T0, held_on=T0.date(), attendees=10,
                                supporters=2, opposers=5, decision="not_agreed", signed_name="记录员")
    with pytest.raises(ValidationFailed, match="会议"):
        services.approve(project, people.community, T0)
    deliberation.record_meeting(project, people.community, T0 + DAY, held_on=T0.date(), attendees=10,
                                supporters=6, decision="agreed", signed_name="记录员")
    services.approve(project, people.community, T0 + DAY)
    assert project.state == "approved" and project.approved_budget_fen == 100000


def test_default_rules_come_from_config(app, areas):
    found = rules.for_community(areas.S2C2.id)
    assert (found.support_min, found.quorum, found.judging_days, found.row) == (
        app.config["COMMUNITY_PROJECT_SUPPORT_MIN"], app.config["COMMUNITY_PROJECT_QUORUM"],
        app.config["COMMUNITY_PROJECT_JUDGING_DAYS"], None)
    assert found.judging_turnout == found.quorum  # turnout defaults to the vote quorum


def test_rules_are_set_by_the_street_only(people, areas):
    values = dict(support_min=1, quorum=1, oppose_block_share=0.5, judging_days=14,
                  judging_turnout=1, satisfaction_line=0.8)
    for outsider in (people.community, people.county, people.grid, people.admin):
        with pytest.raises(NotAllowed):
            rules.set_rules(outsider, T0, community_id=areas.S1C1.id, reason="x", **values)
    with pytest.raises(ValidationFailed):  # not its community
        rules.set_rules(people.street2, T0, community_id=areas.S1C1.id, reason="x", **values)
    with pytest.raises(ValidationFailed):
        rules.set_rules(people.street, T0, community_id=None, reason="x",
                        **dict(values, oppose_block_share="1.5"))
    with pytest.raises(ValidationFailed):  # a reason is published with each version
        rules.set_rules(people.street, T0, community_id=None, reason=" ", **values)


def test_the_tier_decides_the_approver(people, areas):
    project = passing(people, areas, level=2)
    for wrong in (people.community, people.street2, people.county, people.admin):
        with pytest.raises(NotAllowed):
            services.approve(project, wrong, T0 + 3 * DAY)
    with pytest.raises(ValidationFailed):  # the office cannot lower the tier to approve it itself
        services.set_plan(project, people.community, T0 + 3 * DAY, level=1, lead_unit_id=None)
    services.approve(project, people.street, T0 + 3 * DAY)
    assert project.state == "approved"


def test_spending_cannot_pass_the_budget_without_an_approval(people, areas):
    project = approved(people, areas, funding="1000")
    now = T0 + 5 * DAY
    budget.add_spending(project, people.community, now, spent_on=now.date(), item="长椅",
                        amount="800", source="community")
    db.session.commit()
    with pytest.raises(ValidationFailed, match="超出"):
        budget.add_spending(project, people.community, now, spent_on=now.date(), item="安装",
                            amount="300", source="community")
    db.session.rollback()
    assert count(SpendingLine) == 1
    with pytest.raises(InvalidTransition):  # the plan is frozen once approved
        budget.add_funding(project, people.community, now, source="street", amount="500")
    for wrong in (people.community, people.street2, people.county):  # 一级: the street approves
        with pytest.raises(NotAllowed):
            budget.approve_extra(project, wrong, now, amount="200", reason="材料涨价")
    budget.approve_extra(project, people.street, now, amount="200", reason="材料涨价")
    budget.add_spending(project, people.community, now, spent_on=now.date(), item="安装",
                        amount="300", source="community")
    assert budget.summary(project).left == 10000


@pytest.mark.parametrize("amount", ["0", "-5", "1.234", "abc", "NaN", "1e3", "1E3", "Infinity",
                                    "+5", "1,00", " ", "0x10"])
def test_bad_amounts_are_refused(people, areas, amount):
    project = proposal(people)
    with pytest.raises(ValidationFailed):
        budget.add_funding(project, people.community, T0, source="community", amount=amount)


def test_staff_of_another_community_or_street_cannot_manage(people, areas):
    project = proposal(people)
    for outsider in (people.community2, people.street2):
        assert not access.can_manage(outsider, project)
        with pytest.raises(NotFound):
            access.visible_project(outsider, project.id)
    for outsider in (people.community2, people.street, people.resident):
        with pytest.raises(NotAllowed):
            services.open_deliberation(project, outsider, T0)
        with pytest.raises(NotAllowed):
            services.add_milestone(project, outsider, T0, title="采购", due_on=T0.date())
    assert access.visible_project(people.street, project.id) is project  # its street sees it


def test_residents_judge_a_completed_project_once(app, people, areas):
    project = approved(people, areas)
    with pytest.raises(InvalidTransition):
        judging.rate(project, people.resident, T0, "satisfied")
    services.start(project, people.community, T0 + 4 * DAY)
    services.complete(project, people.community, T0 + 5 * DAY)
    judging.rate(project, people.resident, T0 + 6 * DAY, "very_satisfied")
    judging.rate(project, people.resident2, T0 + 6 * DAY, "basic")
    with pytest.raises(Conflict):
        judging.rate(project, people.resident, T0 + 6 * DAY, "dissatisfied")
    with pytest.raises(NotAllowed):
        judging.rate(project, people.resident3, T0 + 6 * DAY, "satisfied")
    figures = judging.project_figures(project.id)
    k = app.config.get("COMMUNITY_SATISFACTION_BASIC_WEIGHT", 0.6)
    assert figures.rated == 2 and figures.satisfaction == pytest.approx((1 + k) / 2)
    assert judging.community_figures(areas.S1C1.id).rated == 2
    judging.close(project, people.community, T0 + 20 * DAY)
    assert project.state == "evaluated" and "2" in project.events[-1].note


def test_staff_promote_a_suggestion_into_a_project(people, areas):
    ticket = file_ticket(people, areas, category="PRO", kind="suggestion")
    project = services.propose(people.community, T0, title="休息长椅", description="增设长椅。",
                               ticket=ticket)
    assert project.source == "ticket" and services.project_of_ticket(ticket.id) is project
    assert ticket.events[-1].action == "promote_project"
    with pytest.raises(ValidationFailed):  # once only
        services.propose(people.community, T0, title="再来", description="重复", ticket=ticket)
    with pytest.raises(NotFound):
        services.propose(people.community2, T0, title="别的社区", description="不行", ticket=ticket)
    help_ticket = file_ticket(people, areas, kind="help")
    with pytest.raises(ValidationFailed):
        services.propose(people.community, T0, title="求助", description="不是建议", ticket=help_ticket)
    with pytest.raises(NotAllowed):
        services.propose(people.street, T0, title="街道", description="街道不直接提")


def test_needs_resources_and_matching(people, areas):
    file_ticket(people, areas, category="ELD", now=T0 - 40 * DAY)
    file_ticket(people, areas, category="ELD", now=T0 - 2 * DAY)
    file_ticket(people, areas, category="ENV", now=T0 - 2 * DAY)
    file_ticket(people, areas, category="FAC", now=T0 - 2 * DAY)
    proposal(people, now=T0 - DAY, category_code="FAC")
    lists.save_resource(people.community, T0, kind="facility", name="日间照料中心",
                        hours="8:00-18:00", categories=["ELD"])
    with pytest.raises(NotAllowed):
        lists.save_resource(people.community2, T0, kind="volunteer", name="x",
                            resource=lists.resources_of(areas.S1C1.id)[0])
    with pytest.raises(ValidationFailed):
        lists.save_resource(people.community, T0, kind="volunteer", name="", categories=[])
    db.session.commit()
    found = {(n.community_id, n.category_id): n for n in lists.needs([areas.S1C1.id], T0)}
    eld = next(n for n in found.values() if n.requests == 2)
    assert (eld.earlier, eld.recent, eld.trend) == (1, 1, "flat")
    matches = {m.category.code: m for m in lists.matching(areas.S1C1.id, T0)}
    assert matches["ENV"].unmet
    assert not matches["ELD"].unmet and not matches["FAC"].unmet
    assert matches["FAC"].need.proposals == 1
    assert next(iter(lists.matching(areas.S1C1.id, T0))).category.code == "ENV"  # unmet first


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (20, 20), "white").save(out, "PNG")
    return out.getvalue()


def test_minutes_are_judged_by_their_bytes(ctx):
    assert deliberation.read_minutes(io.BytesIO(b"%PDF-1.4\n1 0 obj\n%%EOF\n")).content_type == \
        "application/pdf"
    assert deliberation.read_minutes(io.BytesIO(_png()), "x.pdf").content_type.startswith("image/")
    with pytest.raises(ValidationFailed):
        deliberation.read_minutes(io.BytesIO(b"<html><script>alert(1)</script>"), "minutes.pdf")
