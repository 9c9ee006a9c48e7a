"""通报公示: public pages per project and per community, with no personal data.

Shown: title, description, tier, units, state and its dated changes, milestones on time
or late, every funding and spending line against the budget, vote and meeting counts and
the residents' judgement. Never shown: who proposed, posted, voted or rated, staff names,
minutes files, or resource contacts.
"""
from flask import render_template
from sqlalchemy import select

from community.areas.models import Unit, UnitKind
from community.errors import NotFound
from community.extensions import db
from community.timeutil import to_local, utcnow

from . import budget, deliberation, judging
from .models import Project
from .views import bp


@bp.get("/public/projects/<int:project_id>")
def public_project(project_id):
    project = db.session.get(Project, project_id)
    if project is None:
        raise NotFound()
    return render_template(
        "projects/public_project.html", project=project, today=to_local(utcnow()).date(),
        money=budget.summary(project), votes=deliberation.vote_counts(project.id),
        figures=judging.project_figures(project.id),
        # Public timeline: actions and dates only; notes of planning steps may name people.
        events=[e for e in project.events if e.to_state or e.action in ("budget_extra",
                                                                          "milestone_done")])


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
        figures=judging.community_figures(community.id))
