"""Test data built through the real services."""
from types import SimpleNamespace

from sqlalchemy import insert, select, text

from community.areas.services import load_areas, unit_by_code
from community.auth.models import Role, User
from community.auth.services import hash_password
from community.extensions import db
from community.tickets.models import Category
from community.timeutil import utcnow

PASSWORD = "test-pass-123"
_reference = {}


def _reference_tables():
    """What the migrations seed and every test starts from: the categories, the SLA
    policies (0005) and the calendar years chinese-calendar knows (0015)."""
    from community.sla.models import CalendarDay, CalendarYear, SlaPolicy

    return [Category.__table__, SlaPolicy.__table__, CalendarYear.__table__, CalendarDay.__table__]


def snapshot_reference_data():
    """Keep the migrated reference rows so every test can start from them again."""
    for table in _reference_tables():
        _reference[table.name] = [dict(row._mapping) for row in db.session.execute(select(table))]
    db.session.remove()


def reset_database():
    tables = [t for t in db.metadata.sorted_tables if t.name != "alembic_version"]
    with db.engine.begin() as conn:
        # DELETE, not TRUNCATE: on PostgreSQL a TRUNCATE of every table gives each a new
        # file (about a second per test); deleting the few rows a test wrote is instant.
        for table in reversed(tables):
            conn.execute(table.delete())
        if conn.dialect.name == "postgresql":  # ids start again at 1, as on a new database
            conn.execute(text("SELECT setval(c.oid, 1, false) FROM pg_class c JOIN pg_namespace n "
                              "ON n.oid = c.relnamespace WHERE c.relkind = 'S' "
                              "AND n.nspname = current_schema()"))
        for table in _reference_tables():
            rows = _reference.get(table.name)
            if not rows:
                continue
            conn.execute(insert(table), rows)
            key = next(iter(table.primary_key.columns))
            if conn.dialect.name == "postgresql" and key.autoincrement is not False:
                # rows came back with their ids: the next id follows them
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', '{key.name}'), "
                                  f"(SELECT max({key.name}) FROM {table.name}))"))


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
    load_areas(rows)
    db.session.commit()
    return SimpleNamespace(**{row["code"]: unit_by_code(row["code"]) for row in rows})


def make_people(areas):
    """A user per role in S1/S1C1/S1C1G1, and the same in the neighbouring units."""
    now = utcnow()
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
    return SimpleNamespace(**made)


def hashed_password():
    """Argon2 is slow on purpose; hash the shared test password once per run."""
    if "hash" not in _reference:
        _reference["hash"] = hash_password(PASSWORD)
    return _reference["hash"]


def login(client, login_name, password=PASSWORD):
    """Sign in through the real form (so CSRF and throttling are exercised)."""
    page = client.get("/login")
    token = csrf_from(page)
    response = client.post("/login", data={"login": login_name, "password": password,
                                           "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def csrf_from(response) -> str:
    import re

    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', response.get_data(as_text=True))
    assert match, "no CSRF token on the page"
    return match.group(1)


def count(model) -> int:
    from sqlalchemy import func

    return db.session.scalar(select(func.count()).select_from(model))
