"""Demo data: one county, 3 streets, 12 communities, 48 grids, people for every
role and a few hundred requests, so a newcomer sees a living system.

The areas carry generated boundaries (community.demo.city) over a patch of
Kunming; requests carry a point inside their grid, texts from
community.demo.texts, and a fate that fits their age (community.demo.flow).

Demo only: every account's password is `demo-password`.
"""
import io
import random
from datetime import timedelta

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from community.areas.models import Unit, UnitKind
from community.areas.services import list_units, load_areas, unit_by_code
from community.auth.models import Role, User
from community.auth.services import create_staff, hash_password
from community.demo.flow import DemoFlow
from community.core.extensions import db
from community.tickets.models import Category, Ticket
from community.tickets.services import Filing, submit_ticket
from community.core.timeutil import utcnow

DEMO_PASSWORD = "demo-password"
STREETS = ["春城街道", "金马街道", "龙泉街道"]
COMMUNITIES = [
    ["翠湖社区", "青云社区", "北门社区", "文林社区"],
    ["金马社区", "小坝社区", "东华社区", "菊华社区"],
    ["龙泉社区", "桃园社区", "茨坝社区", "沣源社区"],
]
GRID_NAMES = ["第一网格", "第二网格", "第三网格", "第四网格"]
DEPARTMENTS = [("DEPT-MZ", "区民政局"), ("DEPT-CG", "区城管局"), ("DEPT-JY", "区教育局"),
               ("DEPT-ZJ", "区住建局"), ("DEPT-WJ", "区卫健局")]
@click.command("seed-demo")
@click.option("--tickets", "ticket_count", default=300, show_default=True)
@with_appcontext
def seed_demo_command(ticket_count):
    """Load the demo county, accounts and requests into an empty database."""
    if db.session.scalar(select(func.count(Unit.id))):
        click.echo("the database already has areas; demo data not loaded again")
    else:
        now = utcnow()
        seed_areas()
        seed_people(now)
        seed_tickets(now, ticket_count)
        from community.projects.demo import seed_projects

        seed_projects(now)
        from community.surveys.demo import seed_surveys

        seed_surveys(now)
        from community.providers.demo import seed_providers

        seed_providers(now, hash_password(DEMO_PASSWORD))
        from community.stats.rollup import rebuild_all

        db.session.flush()
        rebuild_all(now, commit_every=10_000)  # the rollups, so the dashboards are alive
        from community.hotspots.detect import find_hotspots

        find_hotspots(now)  # the daily job's first run: /hotspots shows the demo's recurring requests
        db.session.commit()
        click.echo(f"demo data loaded: {db.session.scalar(select(func.count(Ticket.id)))} requests")
    click.echo("demo accounts: admin, county1, dept1, street1, community1, grid1, "
               "provider1 (a 物业 company), resident 13800000001")
    click.echo(f"password for all demo accounts (demo data only): {DEMO_PASSWORD}")


def seed_areas():
    rows = [{"kind": "county", "code": "530199", "name": "示范区", "parent_code": ""}]
    rows += [{"kind": "department", "code": code, "name": name, "parent_code": "530199"}
             for code, name in DEPARTMENTS]
    for s, street in enumerate(STREETS, start=1):
        street_code = f"530199{s:03d}"
        rows.append({"kind": "street", "code": street_code, "name": street, "parent_code": "530199"})
        for c, community in enumerate(COMMUNITIES[s - 1], start=1):
            community_code = f"{street_code}{c:03d}"
            rows.append({"kind": "community", "code": community_code, "name": community,
                         "parent_code": street_code})
            for g, grid in enumerate(GRID_NAMES, start=1):
                rows.append({"kind": "grid", "code": f"{community_code}{g:02d}", "name": grid,
                             "parent_code": community_code,
                             "address_hints": f"{g}号楼,{g}栋,{g}幢"})
    load_areas(rows)
    seed_geometry()
    departments = {code: unit_by_code(code) for code, _ in DEPARTMENTS}
    for category in db.session.scalars(select(Category)):
        category.department = {"ENV": departments["DEPT-CG"], "EDU": departments["DEPT-JY"],
                               "AID": departments["DEPT-MZ"], "PRP": departments["DEPT-ZJ"],
                               "HLT": departments["DEPT-WJ"]}.get(category.code)


def seed_people(now):
    # Argon2 is slow on purpose: hash the shared demo password once for everyone.
    shared = hash_password(DEMO_PASSWORD)
    create_staff("admin", Role.ADMIN, None, None, now, name="系统管理员", password_hash=shared)
    create_staff("county1", Role.COUNTY, unit_by_code("530199"), None, now, name="区指挥中心",
                 password_hash=shared)
    create_staff("dept1", Role.DEPARTMENT, unit_by_code("DEPT-CG"), None, now, name="城管局值班员",
                 password_hash=shared)
    create_staff("supervisor1", Role.SUPERVISOR, unit_by_code("530199"), None, now, name="区考核办",
                 password_hash=shared)
    for kind, role, prefix in ((UnitKind.STREET, Role.STREET, "street"),
                               (UnitKind.COMMUNITY, Role.COMMUNITY, "community"),
                               (UnitKind.GRID, Role.GRID, "grid")):
        for number, unit in enumerate(list_units(kind), start=1):
            create_staff(f"{prefix}{number}", role, unit, None, now,
                         name=f"{unit.name}{'网格员' if role == Role.GRID else '工作人员'}",
                         phone=f"139{number:08d}" if role == Role.GRID else None,
                         password_hash=shared)
    communities = list_units(UnitKind.COMMUNITY)
    for number in range(1, 41):
        db.session.add(User(phone=f"138{number:08d}", name=f"居民{number}", role=Role.RESIDENT,
                            password_hash=shared, created_at=now - timedelta(days=90),
                            home_community=communities[(number - 1) % len(communities)]))
    db.session.flush()


def seed_geometry():
    from community.demo import city as demo_city

    county = unit_by_code("530199")
    tree = {street: {community: list_units(UnitKind.GRID, community.id)
                     for community in list_units(UnitKind.COMMUNITY, street.id)}
            for street in list_units(UnitKind.STREET, county.id)}
    demo_city.apply(county, tree)
    db.session.flush()


# Who files: the resident on the web, or staff on a resident's behalf (代办).
CHANNELS = [("web", 70), ("hotline", 12), ("grid_worker", 12), ("walk_in", 6)]


def seed_tickets(now, count):
    """Requests over the last 60 days (more in the last two, as a live queue has),
    each at a point inside its grid, driven through the real workflow
    (community.demo.flow) to a fate that fits its age."""
    from community.demo.texts import TEMPLATES, DemoTexts

    rng = random.Random(20261124)
    flow = DemoFlow(rng, now)
    texts = DemoTexts(rng)
    residents = list(db.session.scalars(select(User).where(User.role == Role.RESIDENT).order_by(User.id)))
    grids = {}
    for grid in list_units(UnitKind.GRID):
        grids.setdefault(grid.community_id, []).append(grid)
    codes = [c.code for c in db.session.scalars(select(Category).where(Category.active.is_(True))
                                                   .order_by(Category.sort_order, Category.code))
             if c.code in TEMPLATES]
    pictures = _pictures(rng)
    for number in range(count):
        resident = residents[number % len(residents)]
        grid = rng.choice(grids[resident.home_community_id])
        code = rng.choice(codes)
        days = rng.uniform(0, 2) if rng.random() < 0.15 else rng.uniform(2, 60)
        at = now - timedelta(days=days, minutes=rng.randint(0, 600))
        lat, long = _point_in(grid, rng)
        channel = rng.choices([c for c, _ in CHANNELS], [w for _, w in CHANNELS])[0]
        actor = resident if channel == "web" else _filer(channel, grid)
        filing = Filing(kind=rng.choice(["help", "consult", "complaint", "suggestion", "report"]),
                        category_code=code, text=texts.text(code, grid.id),
                        community_id=grid.community_id, grid_id=grid.id,
                        address=f"{rng.randint(1, 24)}号楼{rng.randint(1, 6)}单元",
                        text_public=rng.random() < 0.5, latitude=lat, longitude=long,
                        urgency="urgent" if code == "SAF" else "normal", channel=channel,
                        contact_name=resident.name if channel != "web" else "",
                        contact_phone=resident.phone if channel != "web" else "",
                        photos=[rng.choice(pictures)] if rng.random() < 0.18 else [])
        flow.advance(submit_ticket(filing, actor, at), at)
    db.session.flush()


def _filer(channel, grid):
    """Hotline calls are taken at the county's centre, 代办 by the grid's worker, walk-ins
    at the community's office."""
    unit_id = {"hotline": grid.county_id, "grid_worker": grid.id, "walk_in": grid.community_id}[channel]
    return db.session.scalar(select(User).where(User.unit_id == unit_id).order_by(User.id).limit(1))


def _point_in(grid, rng) -> tuple[float, float]:
    """A point inside the grid's boundary, drawn from its bounding box."""
    from community.areas.geo import contains, polygons_of

    polygons = polygons_of(grid.boundary)
    while True:
        lat = round(rng.uniform(grid.bbox_south, grid.bbox_north), 6)
        long = round(rng.uniform(grid.bbox_west, grid.bbox_east), 6)
        if contains(polygons, lat, long):
            return lat, long


def _pictures(rng) -> list:
    """A few photo-like pictures (a wall, a path, a sky), cleaned as uploads are."""
    from PIL import Image, ImageDraw

    from community.tickets.photos import clean_photo

    cleaned = []
    for number in range(6):
        image = Image.new("RGB", (640, 480), (rng.randint(150, 210),) * 3)
        draw = ImageDraw.Draw(image)
        draw.rectangle((0, 0, 640, rng.randint(120, 220)), fill=(120, 160, rng.randint(200, 240)))
        draw.polygon([(0, 480), (260, 250), (380, 250), (640, 480)], fill=(90, 90, 95))
        for _ in range(8):
            x, y = rng.randint(0, 600), rng.randint(200, 440)
            draw.ellipse((x, y, x + rng.randint(10, 40), y + rng.randint(10, 30)),
                         fill=(rng.randint(40, 120), rng.randint(80, 140), rng.randint(30, 90)))
        raw = io.BytesIO()
        image.save(raw, "JPEG", quality=80)
        raw.seek(0)
        cleaned.append(clean_photo(raw, f"demo{number}.jpg"))
    return cleaned
