"""整改 of a project its residents judged under the 满意 line, on a clock like a 差评 case.

The case opens when judging closes under the line, with a deadline in working days
(COMMUNITY_PROJECT_RECTIFY_WORKING_DAYS, the request calendar). The office (or the
lead unit) reports what it put right; the unit above the office (the street, the
county for 三级) closes the case or sends it back. A case still unreported at its
deadline is marked overdue once, publicly, and the unit above is told:
`check_overdue(now)` reads only due rows (indexed deadline) and is called by the
periodic sweep, so a late sweep gives the same marks as one on time.
"""
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from community.auth.models import User
from community.core.errors import InvalidTransition, NotFound
from community.core.extensions import db
from community.core.text import clean_text
from community.core.timeutil import to_local
from community.clock.calendar import working_deadline

from . import access
from .models import Project, ProjectCase
from .services import record_event
from .states import CaseState

C = CaseState
BATCH = 200


def open_case(project: Project, now: datetime, satisfaction: float | None) -> ProjectCase:
    from .notices import tell_units

    days = _days()
    case = ProjectCase(project_id=project.id, state=C.OPEN, satisfaction=satisfaction,
                       opened_at=now, due_at=working_deadline(now, days).at)
    db.session.add(case)
    record_event(project, "rectify_open", None, now,
                 note=_("满意率未达到满意线，须在 %(d)d 个工作日内整改。", d=days))
    db.session.flush()
    tell_units(project, [project.community_id, project.lead_unit_id, _oversight_unit(project)], now,
               lambda: _("【民生小实事整改】《%(title)s》群众评判未达满意线，已立整改。",
                         title=project.title))
    return case


def _days() -> int:
    return int(current_app.config["COMMUNITY_PROJECT_RECTIFY_WORKING_DAYS"])


def recompute_due(first: datetime, last: datetime, calendar, now: datetime, counts) -> None:
    """The holiday calendar changed (community.sla.recompute): open cases whose span touches
    the changed days get their deadline counted again; an overdue mark on a deadline that
    now lies ahead is withdrawn."""
    for case in db.session.scalars(select(ProjectCase).where(
            ProjectCase.state != C.CLOSED, ProjectCase.opened_at < last, ProjectCase.due_at > first)):
        due = working_deadline(case.opened_at, _days(), calendar).at
        if due == case.due_at:
            continue
        case.due_at = due
        counts["project_cases"] += 1
        if case.overdue_at is not None and due > now:
            case.overdue_at = None
            counts["breaches_withdrawn"] += 1
        record_event(case.project, "rectify_due_moved", None, now,
                     note=_("因节假日安排，整改期限调整为 %(due)s。", due=to_local(due).strftime("%Y-%m-%d %H:%M")))


def _oversight_unit(project: Project) -> int:
    return project.county_id if project.level == 3 else project.street_id


def case_of(project: Project) -> ProjectCase | None:
    return db.session.scalar(select(ProjectCase).where(ProjectCase.project_id == project.id))


def _case(project: Project) -> ProjectCase:
    case = case_of(project)
    if case is None:
        raise NotFound()
    return case


def report(project: Project, actor: User, now: datetime, text: str) -> ProjectCase:
    """The office or the lead unit says what was put right (public)."""
    access.require(access.can_run, actor, project)
    case = _case(project)
    if case.state != C.OPEN:
        raise InvalidTransition(_("整改情况已报送，等待上级审核。"))
    case.report = clean_text(text, 2000, "report", _("整改情况"), required=True)
    case.state, case.reported_at, case.reported_by_id = C.REPORTED, now, actor.id
    record_event(project, "rectify_report", actor, now, note=case.report)
    return case


def review(project: Project, actor: User, now: datetime, accept: bool, note: str) -> ProjectCase:
    """The unit above the office closes the case, or sends it back (the clock runs on)."""
    access.require(access.can_oversee, actor, project)
    case = _case(project)
    if case.state != C.REPORTED:
        raise InvalidTransition(_("还没有报送整改情况。"))
    case.review_note = clean_text(note, 500, "note", _("审核意见"), required=not accept)
    if accept:
        case.state, case.closed_at, case.closed_by_id = C.CLOSED, now, actor.id
    else:
        case.state = C.OPEN
    record_event(project, "rectify_close" if accept else "rectify_return", actor, now,
                 note=case.review_note)
    return case


def check_overdue(now: datetime, batch: int = BATCH) -> int:
    """Mark each open case past its deadline, once, at the deadline; tell the unit above."""
    from .notices import tell_units

    query = (select(ProjectCase).where(ProjectCase.due_at <= now, ProjectCase.overdue_at.is_(None),
                                       ProjectCase.state == C.OPEN)
             .order_by(ProjectCase.due_at, ProjectCase.id).limit(batch))
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    marked = 0
    for case in db.session.scalars(query).all():
        project = case.project
        case.overdue_at = case.due_at
        record_event(project, "rectify_overdue", None, case.due_at)
        project.updated_at = max(project.updated_at, now)
        tell_units(project, [project.community_id, _oversight_unit(project)], case.due_at,
                   lambda: _("【民生小实事整改超时】《%(title)s》未在期限内报送整改情况。",
                             title=project.title))
        marked += 1
    db.session.flush()
    return marked


def sweep(now: datetime) -> dict:
    """For the periodic SLA sweep: every due case, in batches, committed per batch."""
    total = 0
    while True:
        marked = check_overdue(now)
        db.session.commit()
        total += marked
        if marked < BATCH:
            return {"project_cases_overdue": total} if total else {}
