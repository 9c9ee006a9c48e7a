"""The project library: proposing, promoting a 建议, planning, and every state change.

Services take the acting user and an explicit `now`, check every rule, flush;
the view or command commits once.
"""
from datetime import date, datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from community.areas.models import Unit, UnitKind
from community.auth.models import User
from community.core.errors import Conflict, InvalidTransition, NotAllowed, NotFound, ValidationFailed
from community.core.extensions import db
from community.residency.services import verified_community_id
from community.core.text import clean_text
from community.tickets.models import Category, Ticket
from community.tickets.services import record_event as record_ticket_event
from community.tickets.states import Kind

from . import access
from .models import Milestone, Project, ProjectEvent, ProjectPartner, ProjectTicket
from .states import ALLOWED_TRANSITIONS, PLANNING, PartnerKind, ProjectState, Source

P = ProjectState
TITLE_MAX = 100


def transition(project: Project, to_state: ProjectState, actor: User | None, now: datetime, *,
               action: str, note: str = "") -> ProjectEvent:
    """Move a project along ALLOWED_TRANSITIONS and write the event row."""
    from_state = require_move(project, to_state)
    project.state = to_state
    return record_event(project, action, actor, now, note=note, from_state=from_state,
                        to_state=to_state)


def require_move(project: Project, to_state: ProjectState) -> ProjectState:
    """Refuse a move the table does not allow (no skipping deliberation or approval)."""
    from_state = ProjectState(project.state)
    if to_state not in ALLOWED_TRANSITIONS[from_state]:
        raise InvalidTransition(_("项目当前状态下不能这样变更：必须依次经过协商议事和审批。"))
    return from_state


def record_event(project: Project, action: str, actor: User | None, now: datetime, *,
                 note: str = "", from_state=None, to_state=None) -> ProjectEvent:
    event = ProjectEvent(project=project, at=now, actor=actor, action=action, note=note,
                         from_state=from_state, to_state=to_state)
    db.session.add(event)
    project.updated_at = now
    return event


def _category(code: str | None) -> Category | None:
    if not code:
        return None
    category = db.session.scalar(select(Category).where(Category.code == code,
                                                        Category.active.is_(True)))
    if category is None:
        raise ValidationFailed(_("请选择有效的类别。"), field="category")
    return category


def propose(actor: User, now: datetime, *, title: str, description: str,
            category_code: str | None = None, community_id: int | None = None,
            ticket: Ticket | None = None, from_need: bool = False) -> Project:
    """征集: a resident proposes for their own community; the community office enters
    one for its community, or promotes a 建议 request into one."""
    if actor.is_resident:
        if ticket is not None:
            raise NotAllowed()
        community_id, source = verified_community_id(actor), Source.RESIDENT
        if community_id is None:
            raise ValidationFailed(_("您的居住社区尚未核实：请在“个人资料”（/profile）申请核实。"),
                                   field="title")
    elif actor.role == "community":
        community_id = actor.unit_id
        source = Source.TICKET if ticket is not None else Source.STAFF
    else:
        raise NotAllowed(_("民生小实事由本社区居民提出，或由社区工作人员录入。"))
    community = db.session.get(Unit, community_id)
    if community is None or community.kind != UnitKind.COMMUNITY:
        raise ValidationFailed(_("请选择有效的社区。"), field="title")
    title = clean_text(title, TITLE_MAX, "title", _("项目名称"), required=True)
    description = clean_text(description, current_app.config["COMMUNITY_TEXT_MAX"],
                              "description", _("项目内容"), required=True)
    if ticket is not None:
        _check_promotable(actor, ticket)
    project = Project(title=title, description=description, category=_category(category_code),
                      level=1, state=P.PROPOSED, source=source, community_id=community.id,
                      street_id=community.street_id, county_id=community.county_id,
                      proposer=actor if actor.is_resident else None, lead_unit_id=community.id,
                      created_at=now, updated_at=now)
    db.session.add(project)
    record_event(project, "propose", actor, now, to_state=P.PROPOSED,
                 note=_("来自居民需求清单") if from_need else "")
    if ticket is not None:
        db.session.add(ProjectTicket(project=project, ticket=ticket, created_at=now))
        record_ticket_event(ticket, "promote_project", actor, now,
                            note=_("已转为民生小实事项目：%(title)s", title=title))
    db.session.flush()
    return project


def _check_promotable(actor: User, ticket: Ticket) -> None:
    if ticket.community_id != actor.unit_id:
        raise NotFound()
    if ticket.kind != Kind.SUGGESTION:
        raise ValidationFailed(_("只有“建议”类诉求可以转为民生小实事项目。"), field="title")
    if project_of_ticket(ticket.id) is not None:
        raise ValidationFailed(_("这条建议已经转为项目了。"), field="title")


def project_of_ticket(ticket_id: int) -> Project | None:
    return db.session.scalar(select(Project).join(ProjectTicket).where(
        ProjectTicket.ticket_id == ticket_id))


def linked_tickets(project: Project) -> list[Ticket]:
    return list(db.session.scalars(select(Ticket).join(ProjectTicket).where(
        ProjectTicket.project_id == project.id)))


# -- planning: tier, lead and partner units, milestones --------------------------------

def _require_planning(project: Project) -> None:
    if project.state not in PLANNING:
        raise InvalidTransition(_("项目已审批，计划不能再修改。"))


def set_plan(project: Project, actor: User, now: datetime, *, level: int, lead_unit_id: int | None,
             category_code: str | None = None) -> None:
    """Tier (decides the approver) and lead unit, while the project is still being planned."""
    access.require(access.can_manage, actor, project)
    _require_planning(project)
    if level not in (1, 2, 3):
        raise ValidationFailed(_("请选择项目分级。"), field="level")
    lead = db.session.get(Unit, lead_unit_id) if lead_unit_id else None
    if lead is not None and not _unit_related(lead, project):
        raise ValidationFailed(_("牵头单位须为本社区、所属街道、区县或其部门。"), field="lead_unit")
    if level != project.level and project.state != P.PROPOSED:
        # Frozen once residents deliberate: the tier decides who approves.
        raise ValidationFailed(_("进入协商议事后不能再修改分级。"), field="level")
    changes = []
    if level != project.level:
        changes.append(_("分级 %(a)d → %(b)d", a=project.level, b=level))
    if lead is not None and lead.id != project.lead_unit_id:
        changes.append(_("牵头单位：%(name)s", name=lead.name))
    project.level = level
    if lead is not None:
        project.lead_unit_id = lead.id
    if category_code is not None:
        project.category = _category(category_code)
    record_event(project, "plan", actor, now, note="；".join(str(c) for c in changes))


def _unit_related(unit: Unit, project: Project) -> bool:
    return unit.id in (project.community_id, project.street_id, project.county_id) or (
        unit.kind == UnitKind.DEPARTMENT and unit.county_id == project.county_id)


def add_partner(project: Project, actor: User, now: datetime, *, kind: str,
                unit_id: int | None = None, name: str = "", duty: str = "") -> ProjectPartner:
    access.require(access.can_manage, actor, project)
    _require_planning(project)
    if kind not in PartnerKind.__members__.values():
        raise ValidationFailed(_("请选择合作单位类型。"), field="kind")
    unit = None
    if kind in (PartnerKind.COMMUNITY, PartnerKind.STREET, PartnerKind.COUNTY, PartnerKind.DEPARTMENT):
        unit = db.session.get(Unit, unit_id) if unit_id else None
        if unit is None or unit.kind != kind or not _unit_related(unit, project):
            raise ValidationFailed(_("请选择本社区、所属街道、区县或其部门。"), field="unit")
        name = ""
    else:
        name = clean_text(name, 100, "name", _("单位名称"), required=True)
    partner = ProjectPartner(project_id=project.id, kind=kind, unit=unit, name=name,
                             duty=clean_text(duty, 200, "duty", _("分工"), required=False))
    db.session.add(partner)
    record_event(project, "partner", actor, now, note=partner.label)
    db.session.flush()
    return partner


def add_milestone(project: Project, actor: User, now: datetime, *, title: str,
                  due_on: date | None) -> Milestone:
    access.require(access.can_run, actor, project)
    if project.state not in PLANNING | {P.APPROVED, P.IN_PROGRESS}:
        raise InvalidTransition(_("项目已完成，不能再添加节点。"))
    if due_on is None:
        raise ValidationFailed(_("请填写计划日期。"), field="due_on")
    milestone = Milestone(project_id=project.id, title=clean_text(title, 200, "title", _("节点名称"), required=True),
                          due_on=due_on)
    db.session.add(milestone)
    record_event(project, "milestone", actor, now, note=f"{milestone.title} {due_on.isoformat()}")
    db.session.flush()
    return milestone


def finish_milestone(project: Project, actor: User, now: datetime, milestone_id: int,
                     done_on: date | None) -> Milestone:
    access.require(access.can_run, actor, project)
    milestone = db.session.get(Milestone, milestone_id) if milestone_id else None
    if milestone is None or milestone.project_id != project.id:
        raise NotFound()
    if project.state not in (P.APPROVED, P.IN_PROGRESS):
        raise InvalidTransition(_("项目实施中才能登记节点完成。"))
    if milestone.done_on is not None:
        raise ValidationFailed(_("这个节点已经登记完成。"), field="done_on")
    if done_on is None:
        raise ValidationFailed(_("请填写完成日期。"), field="done_on")
    milestone.done_on = done_on
    record_event(project, "milestone_done", actor, now,
                 note=f"{milestone.title} {done_on.isoformat()}")
    db.session.flush()
    return milestone


# -- state changes -------------------------------------------------------------------

def open_deliberation(project: Project, actor: User, now: datetime) -> ProjectEvent:
    """Residents now vote; the street's rules in force are fixed into the project."""
    from .notices import announce
    from .rules import fix_for

    access.require(access.can_manage, actor, project)
    if project.hidden_at is not None:
        raise InvalidTransition(_("这条提议已被隐藏，不能进入议事。"))
    event = transition(project, P.DELIBERATING, actor, now, action="deliberate")
    fix_for(project)
    db.session.flush()
    announce(project, "deliberate", event, now)
    return event


def hide_proposal(project: Project, actor: User, now: datetime, reason: str) -> ProjectEvent:
    """The office takes a proposal off the public pages; the reason is public."""
    access.require(access.can_manage, actor, project)
    if project.state != P.PROPOSED:
        raise InvalidTransition(_("只有征集中的提议可以隐藏。"))
    if project.hidden_at is not None:
        raise Conflict(_("这条提议已经隐藏了。"))
    project.hidden_reason = clean_text(reason, 200, "reason", _("隐藏理由"), required=True)
    project.hidden_at, project.hidden_by_id = now, actor.id
    return record_event(project, "hide", actor, now, note=project.hidden_reason)


def approve(project: Project, actor: User, now: datetime, note: str = "") -> ProjectEvent:
    """The tier's approver passes a project its residents voted for (the street's rules);
    the funding lines become the approved budget."""
    from .budget import planned_budget_fen
    from .deliberation import deliberation_result

    access.require(access.can_approve, actor, project)
    require_move(project, P.APPROVED)  # proposed → approved would skip deliberation
    result = deliberation_result(project)
    if not result.passed:
        raise ValidationFailed(result.reason, field="note")
    event = transition(project, P.APPROVED, actor, now, action="approve",
                       note=clean_text(note, 500, "note", _("意见"), required=False))
    project.approved_budget_fen = planned_budget_fen(project)
    project.approved_at = now
    return event


def reject(project: Project, actor: User, now: datetime, reason: str) -> ProjectEvent:
    """Before approval: the office or the approver. After it: the deciding tier or above."""
    if not access.can_reject(actor, project):
        raise NotAllowed(_("已由上级批准的项目，只有批准单位或更上级可以撤销。")
                         if project.state == P.APPROVED and access.can_manage(actor, project) else None)
    reason = clean_text(reason, 500, "reason", _("不予立项的理由"), required=True)
    event = transition(project, P.REJECTED, actor, now, action="reject", note=reason)
    project.reject_reason = reason
    return event


def start(project: Project, actor: User, now: datetime) -> ProjectEvent:
    access.require(access.can_run, actor, project)
    return transition(project, P.IN_PROGRESS, actor, now, action="start")


def complete(project: Project, actor: User, now: datetime, note: str = "") -> ProjectEvent:
    """Work done: 成效群众评判 starts and the residents hear of it."""
    from .notices import announce

    access.require(access.can_run, actor, project)
    event = transition(project, P.COMPLETED, actor, now, action="complete",
                       note=clean_text(note, 500, "note", _("说明"), required=False))
    project.completed_at = now
    db.session.flush()
    announce(project, "complete", event, now)
    return event


def projects_for(user: User, state: str | None = None, limit: int = 200) -> list[Project]:
    query = select(Project).where(access.scope_filter(user))
    if not user.is_staff:
        query = query.where(Project.hidden_at.is_(None))
    if state:
        query = query.where(Project.state == state)
    return list(db.session.scalars(query.order_by(Project.created_at.desc(), Project.id.desc())
                                   .limit(limit)))


def related_units(project: Project) -> list[Unit]:
    """Units that may lead or partner: the community, its street, county and county departments."""
    units = [db.session.get(Unit, i) for i in (project.community_id, project.street_id,
                                               project.county_id)]
    units += list(db.session.scalars(select(Unit).where(
        Unit.kind == UnitKind.DEPARTMENT, Unit.county_id == project.county_id,
        Unit.active.is_(True)).order_by(Unit.code)))
    return [u for u in units if u is not None]
