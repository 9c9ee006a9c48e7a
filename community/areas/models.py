"""Administrative areas and offices: county → street → community → grid, plus departments."""
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community.core.dbtypes import enum_check
from community.core.extensions import db


class UnitKind(StrEnum):
    COUNTY = "county"
    STREET = "street"
    COMMUNITY = "community"
    GRID = "grid"
    DEPARTMENT = "department"  # a county department (民政局, 住建局 …), child of the county


# The handling tiers, lowest first; departments work at the county tier.
TIERS = (UnitKind.GRID, UnitKind.COMMUNITY, UnitKind.STREET, UnitKind.COUNTY)
PARENT_KIND = {
    UnitKind.STREET: UnitKind.COUNTY,
    UnitKind.COMMUNITY: UnitKind.STREET,
    UnitKind.GRID: UnitKind.COMMUNITY,
    UnitKind.DEPARTMENT: UnitKind.COUNTY,
}


class Unit(db.Model):
    __tablename__ = "units"
    __table_args__ = (
        CheckConstraint(enum_check("kind", UnitKind), name="kind"),
        Index("ix_units_parent_kind", "parent_id", "kind"),
        Index("ix_units_bbox", "bbox_south", "bbox_north"),
        Index("ix_units_centre", "centre_lat", "centre_long"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    # The chain above, copied down so scope checks and queues are one equality test.
    county_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    street_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    # Grids: comma-separated address words (小区, 楼栋) that place a request here.
    address_hints: Mapped[str] = mapped_column(Text, default="")
    # Grids: a boundary (GeoJSON Polygon/MultiPolygon, see areas.geo) with its
    # bounding box, or only a centre point; either places a lat/long here.
    boundary: Mapped[str | None] = mapped_column(Text)
    bbox_south: Mapped[float | None]
    bbox_west: Mapped[float | None]
    bbox_north: Mapped[float | None]
    bbox_east: Mapped[float | None]
    centre_lat: Mapped[float | None]
    centre_long: Mapped[float | None]
    active: Mapped[bool] = mapped_column(default=True)

    parent: Mapped["Unit | None"] = relationship(
        remote_side="Unit.id", foreign_keys=[parent_id]
    )

    def __repr__(self):
        return f"<Unit {self.kind} {self.code} {self.name}>"

    @property
    def tier_index(self) -> int:
        kind = UnitKind.COUNTY if self.kind == UnitKind.DEPARTMENT else UnitKind(self.kind)
        return TIERS.index(kind)

    def chain_ids(self) -> dict:
        """Ids of this unit and the units above it, by kind."""
        chain = {"county": self.county_id, "street": self.street_id,
                 "community": self.community_id, "grid": None}
        if self.kind in chain:
            chain[self.kind] = self.id
        return chain

    def hints(self) -> list[str]:
        return [h.strip() for h in (self.address_hints or "").split(",") if h.strip()]
