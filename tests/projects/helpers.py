"""Projects built through the real services for the tests."""
from datetime import timedelta

from community.extensions import db
from community.projects import budget, deliberation, services
from tests.ticketing import T0

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
    """A deliberating project that meets thresholds of 2 supporters and half the meeting."""
    project = deliberating(people, areas, now, level, funding)
    deliberation.set_thresholds(areas.S1C1.id, people.community, now, support_min=2, meeting_share=0.5)
    deliberation.vote(project, people.resident, now + DAY, "support")
    deliberation.vote(project, people.resident2, now + DAY, "support")
    deliberation.record_meeting(project, people.community, now + 2 * DAY, held_on=(now + 2 * DAY).date(),
                                attendees=20, supporters=12, decision="agreed")
    db.session.commit()
    return project


def approved(people, areas, now=T0, funding="1000"):
    project = passing(people, areas, now, funding=funding)
    services.approve(project, people.community, now + 3 * DAY)
    db.session.commit()
    return project
