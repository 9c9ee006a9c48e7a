"""Areas and people: the county C test tree and a user per role, made through the real services."""
from types import SimpleNamespace

from sqlalchemy import select

from community.areas import shapes
from community.areas.models import Unit
from community.areas.services import load_areas
from community.auth.models import Role, User
from community.auth.services import hash_password
from community.core import versions
from community.core.extensions import db
from community.core.timeutil import utcnow

from .database import _reference, add_rows, snapshot_rows

PASSWORD = "test-pass-123"
# The rows the first make_areas / make_people of this process wrote through the services,
# put back as they were by later calls on an empty table: most tests start with both, and
# load_areas flushes unit by unit (30 ms a test, 2 ms put back).
_kept: dict[str, list[dict]] = {}


def _empty(model) -> bool:
    return db.session.scalar(select(model.id).limit(1)) is None


def make_areas():
    """County C with two streets, each with two communities of two grids, and departments.

    Codes: street S1/S2, community S1C1 …, grid S1C1G1 …; grid S1C1G2 takes
    addresses with 2号楼.
    """
    rows = [{"kind": "county", "code": "C", "name": "测试区", "parent_code": ""},
            {"kind": "department", "code": "D1", "name": "城管局", "parent_code": "C"},
            {"kind": "department", "code": "D2", "name": "民政局", "parent_code": "C"}]
    for s in (1, 2):
        rows.append({"kind": "street", "code": f"S{s}", "name": f"街道{s}", "parent_code": "C"})
        for c in (1, 2):
            rows.append({"kind": "community", "code": f"S{s}C{c}", "name": f"社区{s}-{c}",
                         "parent_code": f"S{s}"})
            for g in (1, 2):
                rows.append({"kind": "grid", "code": f"S{s}C{c}G{g}", "name": f"网格{s}-{c}-{g}",
                             "parent_code": f"S{s}C{c}", "address_hints": f"{g}号楼"})
    if _kept.get("units") and _empty(Unit):
        add_rows({"units": _kept["units"]}, db.session.connection())
        versions.change(db.session, shapes.VERSION_KEY)  # as the units' insert does
        db.session.commit()
    else:
        first = "units" not in _kept and _empty(Unit)
        load_areas(rows)
        db.session.commit()
        if first:
            _kept.update(snapshot_rows("units"))
    units = {u.code: u for u in db.session.scalars(select(Unit).where(Unit.code.in_([r["code"] for r in rows])))}
    return SimpleNamespace(**{row["code"]: units[row["code"]] for row in rows})


def make_people(areas):
    """A user per role in S1/S1C1/S1C1G1, and the same in the neighbouring units."""
    now = utcnow()
    kept = _kept.get("people")
    if kept and kept["units"] == {code: unit.id for code, unit in vars(areas).items()} and _empty(User):
        add_rows({"users": [{**row, "created_at": now} for row in kept["users"]]}, db.session.connection())
        db.session.commit()
        users = {u.id: u for u in db.session.scalars(select(User))}
        return SimpleNamespace(**{name: users[id_] for name, id_ in kept["names"].items()})
    first = not kept and _empty(User)
    made = {}
    password_hash = hashed_password()
    specs = [("admin", Role.ADMIN, None), ("county", Role.COUNTY, areas.C),
             ("dept", Role.DEPARTMENT, areas.D1), ("dept2", Role.DEPARTMENT, areas.D2),
             ("street", Role.STREET, areas.S1), ("street2", Role.STREET, areas.S2),
             ("community", Role.COMMUNITY, areas.S1C1), ("community2", Role.COMMUNITY, areas.S1C2),
             ("grid", Role.GRID, areas.S1C1G1), ("grid2", Role.GRID, areas.S1C1G2),
             ("grid3", Role.GRID, areas.S2C1G1)]
    for name, role, unit in specs:
        made[name] = User(username=name, role=role, unit=unit, name=name,
                          password_hash=password_hash, created_at=now)
        db.session.add(made[name])
    for name, phone, home in (("resident", "13800000001", areas.S1C1),
                              ("resident2", "13800000002", areas.S1C1),
                              ("resident3", "13800000003", areas.S2C1)):
        user = User(phone=phone, name=name, role=Role.RESIDENT, password_hash=password_hash,
                    created_at=now, home_community=home)
        db.session.add(user)
        made[name] = user
    db.session.commit()
    if first:
        _kept["people"] = {"units": {code: unit.id for code, unit in vars(areas).items()},
                           "names": {name: user.id for name, user in made.items()},
                           **snapshot_rows("users")}
    return SimpleNamespace(**made)


def hashed_password():
    """Argon2 is slow on purpose; hash the shared test password once per run."""
    if "hash" not in _reference:
        _reference["hash"] = hash_password(PASSWORD)
    return _reference["hash"]


def make_supervisor(areas, name="kaoheban"):
    """考核办: the county's assessment office."""
    from .tickets import T0

    user = User(username=name, role=Role.SUPERVISOR, unit=areas.C, name="考核办",
                password_hash=hashed_password(), created_at=T0)
    db.session.add(user)
    db.session.commit()
    return user
