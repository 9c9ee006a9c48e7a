"""Demo data: one county, 3 streets, 12 communities, 48 grids, people for every
role and a few hundred requests, so a newcomer sees a living system.

Demo only: every account's password is `demo-password`.
"""
import random
from datetime import timedelta

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from community.areas.models import Unit, UnitKind
from community.areas.services import list_units, load_areas, unit_by_code
from community.auth.models import Role, User
from community.auth.services import create_staff, hash_password
from community.demo_flow import DemoFlow
from community.extensions import db
from community.tickets.models import Category, Ticket
from community.tickets.services import Filing, submit_ticket
from community.timeutil import utcnow

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
SAMPLE_TEXTS = {
    "ELD": "家里老人独居，行动不便，想申请助餐和上门探访服务。",
    "ENV": "小区门口垃圾桶满了好几天没人清运，气味很大。",
    "UTL": "楼道里的路灯坏了一个星期，晚上老人上下楼很危险。",
    "PRP": "物业长期不修电梯，多次反映没有结果。",
    "MED": "楼上邻居装修噪音太大，晚上十点以后还在施工。",
    "FAC": "社区健身器材有一处螺丝松动，孩子玩的时候容易受伤。",
    "GOV": "想咨询一下居住证办理需要带哪些材料。",
    "AID": "家里有人生病失去收入，想了解低保申请条件。",
    "CHD": "希望社区能开设托育点，双职工家庭接送孩子困难。",
    "SAF": "小区消防通道被车辆堵住，存在安全隐患。",
    "EMP": "想报名社区组织的技能培训，请问什么时候开班？",
    "LIF": "希望附近能增加一个便民理发点。",
    "PRO": "建议在小区空地增设几张休息长椅，方便老人歇脚。",
}


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
        from community.providers.demo import seed_providers

        seed_providers(now, hash_password(DEMO_PASSWORD))
        from community.ratings.demo import build_rollups

        build_rollups(now)
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


def seed_tickets(now, count):
    """Requests spread over the last 60 days, each driven through the real
    workflow (community.demo_flow) to a state of its own."""
    rng = random.Random(20261124)
    flow = DemoFlow(rng, now)
    residents = list(db.session.scalars(select(User).where(User.role == Role.RESIDENT).order_by(User.id)))
    codes = list(SAMPLE_TEXTS)
    for number in range(count):
        resident = residents[number % len(residents)]
        code = rng.choice(codes)
        at = now - timedelta(days=rng.uniform(0, 60), minutes=rng.randint(0, 600))
        filing = Filing(kind=rng.choice(["help", "consult", "complaint", "suggestion", "report"]),
                        category_code=code, text=SAMPLE_TEXTS[code],
                        community_id=resident.home_community_id,
                        address=f"{rng.randint(1, 4)}号楼{rng.randint(1, 6)}单元",
                        text_public=rng.random() < 0.5,
                        urgency="urgent" if code == "SAF" else "normal")
        flow.advance(submit_ticket(filing, resident, at), at)
    db.session.flush()
