"""通报公示: public pages per project and per community, with no personal data.

Shown: title, description, tier, units, state and its dated changes, the rules the
project is decided by (the street's version), the residents' votes beside the meeting
record, milestones, every ledger line against the budget (persons as 张*), the
residents' judgement and any 整改; the thread only as a count (residents read it signed
in, masked, hidden posts replaced by their reason). Every text goes through the one
masking function (`public_text`). Never shown: who proposed, posted, voted or rated,
staff names, minutes files, resource contacts. A hidden proposal shows only that it was hidden, and why.
"""
from flask import render_template
from sqlalchemy import select

from community.areas.models import Unit, UnitKind
from community.core.errors import NotFound
from community.core.extensions import db
from community.core.timeutil import to_local, utcnow

from . import budget, deliberation, judging, rectify, rules
from .models import Project
from .views import bp

# Timeline entries the public sees: state changes and these steps (their notes are public).
PUBLIC_STEPS = ("budget_extra", "milestone_done", "meeting_set", "hide", "spending_reversed",
                "rectify_open", "rectify_report", "rectify_close", "rectify_return", "rectify_overdue")


@bp.app_context_processor
def _public_globals():
    return {"project_public_communities": public_communities}


def public_communities(county: Unit | None = None, street: Unit | None = None) -> list[tuple[Unit, list[Unit]]]:
    """Streets with their communities, for the links on /public: the county's (one
    street's) when given; a city's thousands of communities are not one list."""
    query = select(Unit).where(Unit.kind.in_([UnitKind.STREET, UnitKind.COMMUNITY]), Unit.active.is_(True))
    if street is not None:
        query = query.where((Unit.id == street.id) | (Unit.street_id == street.id))
    elif county is not None:
        query = query.where(Unit.county_id == county.id)
    units = list(db.session.scalars(query.order_by(Unit.code)))
    by_street: dict[int, list[Unit]] = {}
    for unit in units:
        if unit.kind == UnitKind.COMMUNITY:
            by_street.setdefault(unit.street_id, []).append(unit)
    return [(s, by_street.get(s.id, [])) for s in units if s.kind == UnitKind.STREET]


@bp.get("/public/projects/<int:project_id>")
def public_project(project_id):
    project = db.session.get(Project, project_id)
    if project is None:
        raise NotFound()
    events = [e for e in project.events if e.to_state or e.action in PUBLIC_STEPS]
    if project.hidden_at is not None:
        return render_template("projects/public_hidden.html", project=project, events=events)
    return render_template(
        "projects/public_project.html", project=project, today=to_local(utcnow()).date(),
        money=budget.summary(project), votes=deliberation.vote_counts(project.id),
        result=deliberation.deliberation_result(project), rules=rules.for_project(project),
        figures=judging.project_figures(project.id), case=rectify.case_of(project),
        posts=deliberation.thread(project), events=events)


@bp.get("/public/communities/<code>/projects")
def public_community(code):
    community = db.session.scalar(select(Unit).where(Unit.code == code,
                                                     Unit.kind == UnitKind.COMMUNITY))
    if community is None:
        raise NotFound()
    projects = list(db.session.scalars(select(Project).where(Project.community_id == community.id)
                                       .order_by(Project.created_at.desc(), Project.id.desc())))
    today = to_local(utcnow()).date()
    return render_template(
        "projects/public_community.html", community=community, projects=projects, today=today,
        money={p.id: budget.summary(p) for p in projects},
        figures=judging.community_figures(community.id), rules=rules.for_community(community.id),
        history=rules.history(community.street_id, community.id))
