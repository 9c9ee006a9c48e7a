"""Demo projects for `seed-demo`: a few 民生小实事 in 翠湖社区, driven through the real services
into varied states (evaluated, in progress with a late milestone, deliberating, proposed,
rejected), plus some service resources for the 三项清单."""
from datetime import timedelta

from sqlalchemy import select

from community.areas.services import unit_by_code
from community.auth.models import Role, User
from community.core.extensions import db

from community.residency.services import verify

from . import budget, deliberation, judging, lists, rules, services

COMMUNITY_CODE = "530199001001"  # 翠湖社区, community1's


def seed_projects(now):
    community = unit_by_code(COMMUNITY_CODE)
    if community is None:
        return
    office = _user("community1")
    street = _user("street1")
    residents = list(db.session.scalars(select(User).where(
        User.role == Role.RESIDENT, User.home_community_id == community.id).order_by(User.id)))
    if office is None or street is None or len(residents) < 3:
        return
    day = timedelta(days=1)
    for resident in residents:  # the office met them: they vote and judge here
        verify(office, now - 95 * day, resident.id, "社区服务站当面核实")
    rules.set_rules(street, now - 90 * day, community_id=community.id,
                    reason="翠湖社区住户少，试点期间按实际住户数设定。", support_min=3, quorum=3,
                    oppose_block_share=0.5, judging_days=14, judging_turnout=3, satisfaction_line=0.8)

    def passed(project, at, amount):
        budget.add_funding(project, office, at, source="community", amount=amount, note="为民服务资金")
        services.open_deliberation(project, office, at)
        for number, resident in enumerate(residents):
            deliberation.vote(project, resident, at + day, "support" if number < 3 else "oppose")
        deliberation.post(project, residents[0], at + day, "赞成，老人出门有地方歇脚了。")
        deliberation.record_meeting(project, office, at + 3 * day, held_on=(at + 3 * day).date(),
                                    attendees=25, supporters=21, opposers=2, decision="agreed",
                                    signed_name="社区记录员", summary="居民议事会表决通过。")

    benches = services.propose(residents[0], now - 80 * day, title="3号楼前加装休息长椅",
                               description="小区老人多，3号楼前空地没有座椅，建议加装4张长椅。",
                               category_code="FAC")
    passed(benches, now - 78 * day, "6000")
    services.approve(benches, office, now - 70 * day, "一级项目，居民自治实施。")
    bought = services.add_milestone(benches, office, now - 70 * day, title="采购长椅",
                                    due_on=(now - 60 * day).date())
    services.start(benches, office, now - 65 * day)
    services.finish_milestone(benches, office, now - 62 * day, bought.id,
                              (now - 62 * day).date())
    budget.add_spending(benches, office, now - 64 * day, spent_on=(now - 64 * day).date(),
                        item="户外长椅4张及安装", amount="5600", source="community", payee="昆明某园林公司")
    services.complete(benches, office, now - 60 * day)
    for resident, level in zip(residents, ("very_satisfied", "satisfied", "basic", "satisfied")):
        judging.rate(benches, resident, now - 55 * day, level)
    judging.close(benches, office, now - 40 * day)

    chargers = services.propose(office, now - 50 * day, title="电动自行车集中充电棚",
                                description="楼道充电隐患大，建议在小区北侧建设集中充电棚。",
                                category_code="SAF")
    services.set_plan(chargers, office, now - 49 * day, level=2, lead_unit_id=community.street_id)
    services.add_partner(chargers, office, now - 49 * day, kind="property", name="翠湖物业服务有限公司",
                         duty="场地与日常管理")
    budget.add_funding(chargers, office, now - 49 * day, source="street", amount="30000")
    passed(chargers, now - 48 * day, "10000")
    services.approve(chargers, street, now - 40 * day)
    design = services.add_milestone(chargers, office, now - 39 * day, title="完成选址与设计",
                           due_on=(now - 30 * day).date())
    services.add_milestone(chargers, office, now - 39 * day, title="充电棚建成投用",
                           due_on=(now + 20 * day).date())
    services.start(chargers, office, now - 35 * day)
    services.finish_milestone(chargers, office, now - 25 * day, design.id,
                              (now - 27 * day).date())
    budget.add_spending(chargers, office, now - 20 * day, spent_on=(now - 20 * day).date(),
                        item="设计费", amount="4000", source="street", payee="某设计院")

    nursery = services.propose(residents[1], now - 10 * day, title="社区托育点",
                               description="双职工家庭多，希望利用活动中心一楼开设托育点。",
                               category_code="CHD")
    services.open_deliberation(nursery, office, now - 8 * day)
    deliberation.vote(nursery, residents[1], now - 7 * day, "support")
    deliberation.post(nursery, residents[2], now - 7 * day, "支持，但要注意安全和卫生。")

    services.propose(residents[2], now - 3 * day, title="增设便民理发点",
                     description="附近没有平价理发店，建议每月组织一次志愿理发。", category_code="LIF")
    shed = services.propose(residents[0], now - 30 * day, title="占用消防通道建车棚",
                            description="建议在楼侧通道搭建自行车棚。", category_code="PRP")
    services.reject(shed, office, now - 28 * day, "选址占用消防通道，存在安全隐患，不予立项。")

    for kind, name, extra in (("facility", "社区活动中心", {"hours": "周一至周日 8:00-20:00",
                                                          "categories": ["CUL", "ELD"]}),
                              ("social_org", "春城社工服务中心", {"categories": ["ELD", "DIS"]}),
                              ("volunteer", "理发志愿服务队", {"skills": "理发、助老", "capacity": 20,
                                                         "categories": ["LIF", "VOL"]}),
                              ("staff", "社区专职工作者", {"capacity": 6, "categories": ["GOV"]})):
        lists.save_resource(office, now - 90 * day, kind=kind, name=name, **extra)
    db.session.flush()


def _user(username):
    return db.session.scalar(select(User).where(User.username == username))
