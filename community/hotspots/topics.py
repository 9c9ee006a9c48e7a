"""每月一题: each month the county picks one topic from what recurred most in the
last months (the proposals, with their counts), names lead units and a deadline,
follows it with progress notes and linked 民生小实事 projects, and publishes the result."""
from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import load_only, selectinload

from community.areas.models import Unit, UnitKind
from community.auth.models import User
from community.core.errors import Conflict, InvalidTransition, NotAllowed, NotFound, ValidationFailed
from community.core.extensions import db
from community.core.text import clean_text
from community.projects.models import Project
from community.stats.queries import most_filed_categories
from community.tickets.models import Category
from community.core.timeutil import local_zone, to_local

from . import access
from .models import Hotspot, MonthlyTopic, TopicProject, TopicState, TopicUnit, TopicUpdate
from .tasks import parse_day

TITLE_MAX, TEXT_MAX = 100, 4000
LEAD_KINDS = (UnitKind.STREET, UnitKind.COMMUNITY, UnitKind.DEPARTMENT, UnitKind.COUNTY)


@dataclass
class Proposal:
    kind: str  # "category" or "hotspot"
    title: str
    count: int
    category: Category
    hotspot: Hotspot | None = None


def month_start(day: date, back: int = 0) -> date:
    index = day.year * 12 + day.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), local_zone())


def proposals(county: Unit, now: datetime) -> list[Proposal]:
    """The top categories by requests filed and the largest hotspots of the county over
    the last COMMUNITY_TOPIC_MONTHS whole months and this one. The counts are the county's
    category rollups (the dashboards' 受理量): counting the requests themselves read some
    40,000 rows of a county at 5 M requests (issue 30)."""
    months = int(current_app.config["COMMUNITY_TOPIC_MONTHS"])
    limit = int(current_app.config["COMMUNITY_TOPIC_PROPOSALS"])
    first_day = month_start(to_local(now).date(), months)
    counts = most_filed_categories(county.id, first_day, to_local(now).date(), limit)
    categories = {c.id: c for c in db.session.scalars(select(Category))}
    out = [Proposal("category", categories[cid].name_zh, n, categories[cid]) for cid, n in counts]
    hotspots = db.session.scalars(
        select(Hotspot).where(Hotspot.county_id == county.id, Hotspot.seen_at >= _local_midnight(first_day))
        .order_by(Hotspot.ticket_count.desc(), Hotspot.id).limit(limit)
        .options(selectinload(Hotspot.category), selectinload(Hotspot.grid).load_only(Unit.name),
                 selectinload(Hotspot.community).load_only(Unit.name)))
    for hotspot in hotspots:
        place = hotspot.place_name or hotspot.grid.name
        out.append(Proposal("hotspot", f"{hotspot.community.name} {place} · {hotspot.category.name_zh}",
                            hotspot.ticket_count, hotspot.category, hotspot))
    return out


def create_topic(actor: User, now: datetime, *, title: str, description: str = "", lead_ids=(),
                 due_on, category_code: str | None = None, hotspot_id=None, proposed_count=0,
                 month: date | None = None) -> MonthlyTopic:
    """The county office picks this month's topic (one per county and month)."""
    if not access.can_pick_topic(actor):
        raise NotAllowed()
    county = actor.unit
    month = month_start(month or to_local(now).date())
    title = clean_text(title, TITLE_MAX, "title", _("题目"), required=True)
    description = clean_text(description, TEXT_MAX, "description", _("说明"))
    due = due_on if isinstance(due_on, date) else parse_day(due_on)
    if due < to_local(now).date():
        raise ValidationFailed(_("完成期限不能早于今天。"), field="due_on")
    leads = _lead_units(county, lead_ids)
    category = None
    if category_code:
        category = db.session.scalar(select(Category).where(Category.code == category_code))
        if category is None:
            raise ValidationFailed(_("请选择有效的类别。"), field="category")
    hotspot = None
    if hotspot_id:
        hotspot = db.session.get(Hotspot, _int(hotspot_id, "hotspot"))
        if hotspot is None or hotspot.county_id != county.id:
            raise ValidationFailed(_("所选热点不在本区县。"), field="hotspot")
        category = category or hotspot.category
    if db.session.scalar(select(MonthlyTopic.id).where(MonthlyTopic.county_id == county.id,
                                                        MonthlyTopic.month == month)):
        raise Conflict(_("本月已经选定了“每月一题”。"))
    topic = MonthlyTopic(county_id=county.id, month=month, title=title, description=description,
                         category=category, hotspot=hotspot, proposed_count=max(0, _int(proposed_count, "count")),
                         due_on=due, state=TopicState.OPEN, result="", created_by_id=actor.id, created_at=now)
    db.session.add(topic)
    db.session.flush()
    for unit in leads:
        db.session.add(TopicUnit(topic_id=topic.id, unit_id=unit.id))
    db.session.flush()
    db.session.refresh(topic)
    return topic


def _int(value, field: str) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        raise ValidationFailed(_("数值无效。"), field=field) from None


def _lead_units(county: Unit, lead_ids) -> list[Unit]:
    ids = sorted({_int(i, "leads") for i in lead_ids if str(i).strip()})
    if not ids:
        raise ValidationFailed(_("请至少指定一个牵头单位。"), field="leads")
    units = list(db.session.scalars(select(Unit).where(Unit.id.in_(ids), Unit.active.is_(True))))
    if len(units) != len(ids) or any(u.kind not in LEAD_KINDS or (u.id != county.id and u.county_id != county.id)
                                     for u in units):
        raise ValidationFailed(_("牵头单位须是本区县的街道、社区或部门。"), field="leads")
    return units


def add_update(topic: MonthlyTopic, actor: User, now: datetime, note: str) -> TopicUpdate:
    if topic.state != TopicState.OPEN:
        raise InvalidTransition(_("这个题目已经办结了。"))
    if not access.can_report(actor, topic):
        raise NotAllowed()
    update = TopicUpdate(topic_id=topic.id, at=now, unit_id=actor.unit_id, actor_id=actor.id,
                         note=clean_text(note, TEXT_MAX, "note", _("进展"), required=True))
    db.session.add(update)
    db.session.flush()
    return update


def link_project(topic: MonthlyTopic, actor: User, now: datetime, project_id) -> TopicProject:
    """A 民生小实事 project started for the topic, in the topic's county, seen by the actor."""
    from community.projects import access as project_access

    if topic.state != TopicState.OPEN:
        raise InvalidTransition(_("这个题目已经办结了。"))
    if not access.can_report(actor, topic):
        raise NotAllowed()
    try:
        project = project_access.visible_project(actor, _int(project_id, "project"))
    except NotFound:
        raise ValidationFailed(_("没有找到这个民生小实事项目。"), field="project") from None
    if project.county_id != topic.county_id:
        raise ValidationFailed(_("项目不在本区县。"), field="project")
    if db.session.get(TopicProject, (topic.id, project.id)) is not None:
        raise Conflict(_("这个项目已经关联了。"))
    link = TopicProject(topic_id=topic.id, project_id=project.id, linked_at=now, linked_by_id=actor.id)
    db.session.add(link)
    db.session.flush()
    return link


def finish_topic(topic: MonthlyTopic, actor: User, now: datetime, result: str) -> MonthlyTopic:
    """The county records the result; from now on it is public (/public/topics)."""
    if topic.state != TopicState.OPEN:
        raise InvalidTransition(_("这个题目已经办结了。"))
    if not (access.can_pick_topic(actor) and actor.unit_id == topic.county_id):
        raise NotAllowed()
    topic.result = clean_text(result, TEXT_MAX, "result", _("办理结果"), required=True)
    topic.state, topic.done_at, topic.done_by_id = TopicState.DONE, now, actor.id
    db.session.flush()
    return topic


def topics_for(user, limit: int = 60) -> list[MonthlyTopic]:
    county = access.topic_county_id(user)
    query = select(MonthlyTopic).order_by(MonthlyTopic.month.desc(), MonthlyTopic.id.desc()).limit(limit)
    if county is not None:
        query = query.where(MonthlyTopic.county_id == county)
    return list(db.session.scalars(query))


def public_topics(limit: int = 60) -> list[MonthlyTopic]:
    """Published results only: no staff names, no progress notes."""
    return list(db.session.scalars(select(MonthlyTopic).where(MonthlyTopic.state == TopicState.DONE)
                                   .order_by(MonthlyTopic.month.desc(), MonthlyTopic.id.desc()).limit(limit)))


def lead_choices(county: Unit) -> list[Unit]:
    """The county's streets, departments and communities, by name only (a boundary is a
    kilobyte or more, and a county has a hundred communities)."""
    return list(db.session.scalars(select(Unit).where(
        Unit.county_id == county.id, Unit.kind.in_([UnitKind.STREET, UnitKind.DEPARTMENT, UnitKind.COMMUNITY]),
        Unit.active.is_(True)).order_by(Unit.kind.desc(), Unit.code)
        .options(load_only(Unit.id, Unit.name, Unit.kind, Unit.code))))


def public_projects(topic: MonthlyTopic) -> list[Project]:
    return [link.project for link in topic.projects if link.project.hidden_at is None]
