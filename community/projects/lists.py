"""三项清单: residents' needs (from requests and proposals), service resources, projects,
and the matching that shows needs no resource or project answers (000 l.223)."""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import case, func, select

from community.areas.models import Unit
from community.auth.models import User
from community.core.bulkdb import any_of
from community.core.errors import NotAllowed, NotFound, ValidationFailed
from community.core.extensions import db
from community.core.text import clean_text
from community.tickets.models import Category, Ticket

from community.core.masking import mask_personal

from .models import NeedLink, Project, Resource
from .states import ACTIVE, ResourceKind


def window(now: datetime) -> tuple[datetime, datetime, int]:
    """(start, middle, weeks): the needs window, split in two halves for the trend."""
    weeks = int(current_app.config["COMMUNITY_NEEDS_WEEKS"])
    start = now - timedelta(weeks=weeks)
    return start, now - timedelta(weeks=weeks / 2), weeks


@dataclass
class Need:
    community_id: int
    category_id: int
    requests: int = 0
    recent: int = 0     # requests in the second half of the window
    earlier: int = 0    # requests in the first half
    proposals: int = 0

    @property
    def total(self) -> int:
        return self.requests + self.proposals

    @property
    def trend(self) -> str:
        return "up" if self.recent > self.earlier else "down" if self.recent < self.earlier else "flat"


def needs(community_ids: list[int] | None, now: datetime) -> list[Need]:
    """Category × community counts over the window, with their trend; None: every community."""
    start, middle, _weeks = window(now)
    found: dict[tuple[int, int], Need] = {}

    def need(community_id, category_id):
        key = (community_id, category_id)
        if key not in found:
            found[key] = Need(community_id, category_id)
        return found[key]

    recent = func.sum(case((Ticket.submitted_at >= middle, 1), else_=0))
    query = (select(Ticket.community_id, Ticket.category_id, func.count(), recent)
             .where(Ticket.submitted_at >= start, Ticket.submitted_at <= now)
             .group_by(Ticket.community_id, Ticket.category_id))
    if community_ids is not None:
        query = query.where(any_of(Ticket.community_id, community_ids))
    for community_id, category_id, total, late in db.session.execute(query):
        row = need(community_id, category_id)
        row.requests, row.recent, row.earlier = total, int(late or 0), total - int(late or 0)
    query = (select(Project.community_id, Project.category_id, func.count())
             .where(Project.created_at >= start, Project.created_at <= now,
                    Project.category_id.is_not(None))
             .group_by(Project.community_id, Project.category_id))
    if community_ids is not None:
        query = query.where(any_of(Project.community_id, community_ids))
    for community_id, category_id, total in db.session.execute(query):
        need(community_id, category_id).proposals = total
    return sorted(found.values(), key=lambda n: (-n.total, n.community_id, n.category_id))


def weekly_requests(community_id: int, now: datetime) -> dict[int, list[int]]:
    """Requests per category per week (oldest week first) for one community's trend."""
    start, _middle, weeks = window(now)
    series: dict[int, list[int]] = defaultdict(lambda: [0] * weeks)
    rows = db.session.execute(select(Ticket.category_id, Ticket.submitted_at).where(
        Ticket.community_id == community_id, Ticket.submitted_at >= start,
        Ticket.submitted_at <= now))
    for category_id, at in rows:
        week = min(int((at - start) / timedelta(weeks=1)), weeks - 1)
        series[category_id][week] += 1
    return dict(series)


@dataclass
class Match:
    category: Category
    need: Need
    weeks: int
    resources: list = field(default_factory=list)  # tagged with the need's category
    linked: list = field(default_factory=list)     # NeedLink rows: 对接 made by the office
    projects: list = field(default_factory=list)

    @property
    def unmet(self) -> bool:
        return not self.resources and not self.linked and not self.projects

    @property
    def demand(self) -> float:
        """Requests a week over the window."""
        return self.need.requests / self.weeks if self.weeks else 0.0

    @property
    def capacity(self) -> int | None:
        """What the linked and tagged resources can take a week (None: nobody said)."""
        known = {r.id: r.capacity for r in self.resources + [link.resource for link in self.linked]
                 if r.capacity is not None}
        return sum(known.values()) if known else None

    @property
    def short(self) -> bool:
        """Demand above the known capacity, or no capacity at all for a need with requests."""
        capacity = self.capacity
        return self.need.requests > 0 and (capacity is None or capacity < self.demand)


def matching(community_id: int, now: datetime, categories: dict | None = None,
             resources: list | None = None, found: list[Need] | None = None) -> list[Match]:
    """Each need of the community beside the resources and projects that answer it;
    needs answered by neither come first, then those whose demand passes capacity.
    `categories` (by id), the community's active `resources` and its needs (`found`),
    when the caller has them already."""
    categories = categories or {c.id: c for c in db.session.scalars(select(Category))}
    if resources is None:
        resources = resources_of(community_id)
    projects = list(db.session.scalars(select(Project).where(
        Project.community_id == community_id, Project.state.in_([s.value for s in ACTIVE]),
        Project.hidden_at.is_(None))))
    links = defaultdict(list)
    for link in live_links(community_id):
        links[link.category_id].append(link)
    weeks = window(now)[2]
    out = []
    for need in needs([community_id], now) if found is None else found:
        category = categories[need.category_id]
        linked = links.get(category.id, [])
        linked_ids = {link.resource_id for link in linked}
        out.append(Match(category, need, weeks,
                         [r for r in resources if category.code in r.category_codes()
                          and r.id not in linked_ids], linked,
                         [p for p in projects if p.category_id == category.id]))
    return sorted(out, key=lambda m: (not m.unmet, not m.short, -m.need.total))


def live_links(community_id: int) -> list[NeedLink]:
    return list(db.session.scalars(select(NeedLink).where(
        NeedLink.community_id == community_id, NeedLink.ended_at.is_(None))
        .order_by(NeedLink.created_at, NeedLink.id)))


def link_need(actor: User, now: datetime, *, category_code: str, resource_id,
              note: str = "") -> NeedLink:
    """对接: the office names the resource that answers a need of its community."""
    community_id = actor.unit_id if actor.role == "community" else None
    if community_id is None:
        raise NotAllowed()
    category = db.session.scalar(select(Category).where(Category.code == (category_code or "")))
    if category is None:
        raise ValidationFailed(_("请选择有效的类别。"), field="category")
    resource = db.session.get(Resource, resource_id) if resource_id else None
    if resource is None or resource.community_id != community_id or not resource.active:
        raise ValidationFailed(_("请选择本社区在用的服务资源。"), field="resource")
    if any(link.resource_id == resource.id and link.category_id == category.id
           for link in live_links(community_id)):
        raise ValidationFailed(_("这项资源已经对接了这类需求。"), field="resource")
    link = NeedLink(community_id=community_id, category_id=category.id, resource_id=resource.id,
                    note=clean_text(note, 200, "note", _("对接说明"), required=False),
                    created_by_id=actor.id, created_at=now)
    db.session.add(link)
    db.session.flush()
    return link


def unlink_need(actor: User, now: datetime, link_id) -> NeedLink:
    link = db.session.get(NeedLink, link_id) if link_id else None
    if link is None or actor.role != "community" or link.community_id != actor.unit_id:
        raise NotFound()
    link.ended_at = now
    return link


def public_resource_name(resource: Resource) -> str:
    """Volunteers and staff are people: shown by kind and surname only, never by contact."""
    from .payees import public_payee

    if resource.kind in (ResourceKind.VOLUNTEER, ResourceKind.STAFF) and not \
            _is_group(resource.name):
        return public_payee(resource.name, "person")
    return mask_personal(resource.name)


def _is_group(name: str) -> bool:
    from .payees import looks_like_organisation

    return looks_like_organisation(name) or any(w in name for w in ("团", "组", "服务队", "志愿者"))


# -- resources: simple CRUD for the community office ---------------------------------------

def resources_of(community_id: int, include_inactive: bool = False) -> list[Resource]:
    query = select(Resource).where(Resource.community_id == community_id)
    if not include_inactive:
        query = query.where(Resource.active.is_(True))
    return list(db.session.scalars(query.order_by(Resource.kind, Resource.name)))


def _require_office(actor: User, community_id: int) -> None:
    if not (actor.role == "community" and actor.unit_id == community_id):
        raise NotAllowed()


def resource_for_edit(actor: User, resource_id: int) -> Resource:
    resource = db.session.get(Resource, resource_id)
    if resource is None or actor.role != "community" or resource.community_id != actor.unit_id:
        raise NotFound()
    return resource


def save_resource(actor: User, now: datetime, *, kind: str, name: str, hours: str = "",
                  skills: str = "", capacity=None, contact: str = "", categories=(),
                  note: str = "", resource: Resource | None = None) -> Resource:
    community_id = resource.community_id if resource is not None else actor.unit_id
    _require_office(actor, community_id)
    if db.session.get(Unit, community_id) is None:
        raise NotFound()
    if kind not in ResourceKind.__members__.values():
        raise ValidationFailed(_("请选择资源类型。"), field="kind")
    known = set(db.session.scalars(select(Category.code)))
    codes = [c for c in categories if c]
    if any(c not in known for c in codes):
        raise ValidationFailed(_("请选择有效的类别。"), field="categories")
    if capacity in ("", None):
        capacity = None
    else:
        try:
            capacity = int(capacity)
        except (TypeError, ValueError):
            raise ValidationFailed(_("服务能力请填写整数。"), field="capacity") from None
        if not 0 <= capacity <= 1_000_000:
            raise ValidationFailed(_("服务能力请填写整数。"), field="capacity")
    values = dict(
        kind=kind, name=clean_text(name, 100, "name", _("名称"), required=True),
        hours=clean_text(hours, 100, "hours", _("开放时间"), required=False),
        skills=clean_text(skills, 200, "skills", _("技能"), required=False),
        contact=clean_text(contact, 100, "contact", _("联系方式"), required=False),
        note=clean_text(note, 500, "note", _("备注"), required=False),
        capacity=capacity, categories=",".join(codes), updated_at=now)
    if resource is None:  # added only once everything is checked
        resource = Resource(community_id=community_id, created_at=now)
        db.session.add(resource)
    for key, value in values.items():
        setattr(resource, key, value)
    db.session.flush()
    return resource


def retire_resource(actor: User, now: datetime, resource: Resource) -> None:
    _require_office(actor, resource.community_id)
    resource.active, resource.updated_at = False, now
