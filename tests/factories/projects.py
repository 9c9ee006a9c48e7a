"""Projects built through the real services for the tests."""
from datetime import timedelta

from community.core.extensions import db
from community.projects import budget, deliberation, rules, services

from .tickets import T0

DAY = timedelta(days=1)


def proposal(people, now=T0, **kwargs):
    fields = {"title": "3号楼加装长椅", "description": "老人多，需要歇脚的地方。", "category_code": "FAC"}
    fields.update(kwargs)
    project = services.propose(people.resident, now, **fields)
    db.session.commit()
    return project


def deliberating(people, areas, now=T0, level=1, funding="1000"):
    project = proposal(people, now)
    if level != 1:
        services.set_plan(project, people.community, now, level=level, lead_unit_id=None)
    if funding:
        budget.add_funding(project, people.community, now, source="community", amount=funding)
    services.open_deliberation(project, people.community, now)
    db.session.commit()
    return project


def passing(people, areas, now=T0, level=1, funding="1000"):
    """A deliberating project its two residents support, under street rules asking for 2."""
    street_rules(people, areas, now)
    project = deliberating(people, areas, now, level, funding)
    deliberation.vote(project, people.resident, now + DAY, "support")
    deliberation.vote(project, people.resident2, now + DAY, "support")
    deliberation.record_meeting(project, people.community, now + 2 * DAY, held_on=(now + 2 * DAY).date(),
                                attendees=20, supporters=12, opposers=3, decision="agreed",
                                signed_name="记录员")
    db.session.commit()
    return project


def approved(people, areas, now=T0, funding="1000"):
    project = passing(people, areas, now, funding=funding)
    services.approve(project, people.community, now + 3 * DAY)
    db.session.commit()
    return project


def street_rules(people, areas, now=T0, **changes):
    """The street's rules for S1C1, small enough for two residents: 2 voting, 2 supporting,
    反对 at half blocks; judging 14 days, 2 ratings, 满意线 0.8."""
    values = dict(support_min=2, quorum=2, oppose_block_share=0.5, judging_days=14,
                  judging_turnout=2, satisfaction_line=0.8)
    values.update(changes)
    row = rules.set_rules(people.street, now - DAY, community_id=areas.S1C1.id, reason="试点", **values)
    db.session.commit()
    return row


def delivered(people, areas, now=T0):
    """Approved on day 3, started on day 4, completed on day 5: judging from day 5."""
    project = approved(people, areas, now)
    services.start(project, people.community, now + 4 * DAY)
    services.complete(project, people.community, now + 5 * DAY)
    db.session.commit()
    return project
