"""Which communities the 三项清单 page lists at once: those the user may see
(access.managed_community_ids), narrowed to a county or a street, one page at a time.
A county has a hundred communities and the city thousands; the needs table of them all
was read and rendered whole on every visit (issue 30)."""
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import func, select

from community.areas.models import Unit, UnitKind
from community.auth.models import Role
from community.core.bulkdb import any_of
from community.core.errors import NotFound
from community.core.extensions import db
from community.core.paging import page_count, page_error

from . import access

COLUMNS = (Unit.id, Unit.code, Unit.name)  # never the boundary: a community's is a kilobyte


@dataclass
class ListScope:
    communities: list          # this page's, as (id, code, name) rows, by code
    total: int                 # communities after the filter, all pages
    page: int
    size: int
    county: Unit | None = None
    street: Unit | None = None
    counties: list = field(default_factory=list)  # the filters offered
    streets: list = field(default_factory=list)
    allowed: list | None = None  # every community id in the user's scope (None: all)

    @property
    def filtered(self) -> bool:
        return self.county is not None or self.street is not None

    @property
    def pages(self) -> int:
        return page_count(self.total, self.size)

    def args(self, **changes) -> dict:
        """The page's query arguments, with `changes`, for links that keep the filter."""
        out = {"county": self.county.id if self.county else None,
               "street": self.street.id if self.street else None,
               "page": self.page if self.page > 1 else None}
        out.update(changes)
        return {k: v for k, v in out.items() if v is not None}


def _filter_unit(user, unit_id: int | None, kind: str) -> Unit | None:
    if unit_id is None:
        return None
    unit = db.session.get(Unit, unit_id)
    if unit is None or unit.kind != kind or not unit.active or not access.may_filter_lists(user, unit):
        raise NotFound()
    return unit


def _active(*where) -> list:
    return list(db.session.execute(select(*COLUMNS).where(*where, Unit.active.is_(True)).order_by(Unit.code)))


def list_scope(user, county_id: int | None = None, street_id: int | None = None, page: int | None = None,
               size: int | None = None) -> ListScope:
    """One page of the communities in the user's scope and filter. A county or street
    outside the scope is NotFound; a page past the last is refused."""
    ids = access.managed_community_ids(user)
    if ids == []:
        raise NotFound()
    size = size or int(current_app.config["COMMUNITY_LISTS_PAGE_SIZE"])
    street = _filter_unit(user, street_id, UnitKind.STREET)
    county = _filter_unit(user, county_id, UnitKind.COUNTY)
    if street is not None and county is not None and street.county_id != county.id:
        raise NotFound()
    county = county or (db.session.get(Unit, street.county_id) if street is not None else None)
    where = [Unit.kind == UnitKind.COMMUNITY, Unit.active.is_(True)]
    if ids is not None:
        where.append(any_of(Unit.id, ids))
    if county is not None:
        where.append(Unit.county_id == county.id)
    if street is not None:
        where.append(Unit.street_id == street.id)
    total = db.session.scalar(select(func.count()).select_from(Unit).where(*where))
    page = page or 1
    if page > 1 and (page - 1) * size >= total:
        raise page_error(page_count(total, size))
    rows = list(db.session.execute(select(*COLUMNS).where(*where).order_by(Unit.code)
                                   .offset((page - 1) * size).limit(size)))
    counties, streets = [], []  # the filters offered: the admin's counties, a county's streets
    if user.role == Role.ADMIN:
        counties = _active(Unit.kind == UnitKind.COUNTY)
    home = user.unit_id if user.role == Role.COUNTY else county.id if counties and county else None
    if home is not None:
        streets = _active(Unit.kind == UnitKind.STREET, Unit.county_id == home)
    return ListScope(rows, total, page, size, county, street, counties, streets, ids)


def chosen(scope: ListScope, community_id: int | None) -> Unit | None:
    """The community asked for when the user may see it (on this page or not), else the
    page's first."""
    if community_id is not None:
        unit = db.session.get(Unit, community_id)
        if unit is not None and unit.kind == UnitKind.COMMUNITY and unit.active and (
                scope.allowed is None or unit.id in scope.allowed):
            return unit
    return db.session.get(Unit, scope.communities[0].id) if scope.communities else None
