"""民生小实事 in a real browser (issue 22): residents vote a proposal down and the office
cannot approve it; another project, approved and delivered, is judged by enough residents,
and its public page, reached from /public, shows the vote, the ledger and the judgement
without any personal data. axe-core finds no serious or critical violation on the pages."""
import re
from datetime import timedelta

from community.core.extensions import db
from community.projects import budget, deliberation, rules, services
from community.residency.services import verify
from community.core.timeutil import utcnow
from tests import factories

from .conftest import DESKTOP, PHONE
from .test_accessibility import audit

PASSWORD = factories.PASSWORD
DAY = timedelta(days=1)
SECRETS = ("13911112222", "张三", "13800000001", "13800000002", "resident", "记录员小李", "139 1234 5678")


def _delivered(people, areas, now):
    """A project passed, approved, built and completed three days ago, with a person paid."""
    project = services.propose(people.resident, now - 20 * DAY, title="3号楼加装扶手",
                               description="楼梯陡，老人上下不便。联系 139 1234 5678", category_code="FAC")
    budget.add_funding(project, people.community, now - 20 * DAY, source="community", amount="3000")
    services.open_deliberation(project, people.community, now - 19 * DAY)
    for resident in (people.resident, people.resident2):
        deliberation.vote(project, resident, now - 18 * DAY, "support")
    deliberation.record_meeting(project, people.community, now - 17 * DAY,
                                held_on=(now - 17 * DAY).date(), attendees=12, supporters=11,
                                decision="agreed", signed_name="记录员小李")
    services.approve(project, people.community, now - 16 * DAY)
    services.start(project, people.community, now - 15 * DAY)
    budget.add_spending(project, people.community, now - 10 * DAY, spent_on=(now - 10 * DAY).date(),
                        item="不锈钢扶手", amount="2,400.50", source="community",
                        payee="某五金建材公司")
    budget.add_spending(project, people.community, now - 9 * DAY, spent_on=(now - 9 * DAY).date(),
                        item="安装人工", amount="500", source="community",
                        payee="张三 13911112222", payee_kind="person")
    services.complete(project, people.community, now - 3 * DAY)
    db.session.commit()
    return project


def test_residents_decide_and_the_public_page_shows_it(visitor, people, areas):
    now = utcnow()
    for resident in (people.resident, people.resident2):
        verify(people.community, now - 30 * DAY, resident.id)
    rules.set_rules(people.street, now - 25 * DAY, community_id=areas.S1C1.id, reason="试点社区",
                    support_min=2, quorum=2, oppose_block_share=0.5, judging_days=2,
                    judging_turnout=2, satisfaction_line=0.8)
    db.session.commit()
    built = _delivered(people, areas, now)
    failures, shots = [], []

    # A resident proposes on the phone; the office opens deliberation.
    alice = visitor(viewport=PHONE)
    alice.login(people.resident.phone, PASSWORD)
    alice.go("/projects/new")
    alice.page.fill("#title", "小区门口设收费停车位")
    alice.page.fill("#description", "把门口空地改成收费停车位。")
    alice.submit("main form button[type=submit], main form input[type=submit]")
    assert "征集" in alice.flash()
    down = "/projects/" + re.search(r"/projects/(\d+)$", alice.page.url).group(1)
    office = visitor(viewport=DESKTOP)
    office.login("community", PASSWORD)
    office.go(down)
    office.submit("form[action$='/deliberate'] button")
    assert "协商议事" in office.flash()

    # Both residents vote 反对.
    bob = visitor(viewport=PHONE)
    bob.login(people.resident2.phone, PASSWORD)
    for person in (alice, bob):
        person.go(down)
        person.submit("form[action$='/vote']:has(input[value=oppose]) button")
        assert "已记录" in person.flash()
    audit(alice, "phone-zh-project-member", failures, shots)

    # The office records a meeting that "agreed" and tries to approve: refused, and why.
    office.page.reload()
    page = office.page
    page.fill("#held_on", now.date().isoformat())
    page.fill("#attendees", "100")
    page.fill("#supporters", "90")
    page.select_option("#decision", "agreed")
    page.fill("#signed_name", "记录员小李")
    page.check("#attest")
    office.submit("form[action$='/meeting'] button[type=submit], form[action$='/meeting'] input[type=submit]")
    assert "议事会议已登记" in office.flash()
    office.submit("form[action$='/approve'] button")
    assert "反对" in office.flash() and "不能立项" in office.flash()
    assert "协商议事中" in page.inner_text("dl.facts")
    audit(office, "desktop-zh-project-office", failures, shots)

    # The delivered project: both residents judge it, the office closes judging.
    built_path = f"/projects/{built.id}"
    for person, level in ((alice, "very_satisfied"), (bob, "satisfied")):
        person.go(built_path)
        person.page.check(f"input[name=satisfaction][value={level}]")
        person.page.fill("input[name=comment]", "扶手很结实")
        person.submit("form[action$='/rate'] button")
        assert "感谢" in person.flash()
    office.go(built_path)
    office.submit("form[action$='/evaluate']:not(:has(input[name=insufficient])) button")
    assert "群众评判已结束" in office.flash()

    # Anyone finds it from /public and reads the vote, the ledger and the judgement.
    anonymous = visitor(viewport=PHONE)
    anonymous.go("/public")
    anonymous.submit(f"#projects a[href$='/public/communities/{areas.S1C1.code}/projects']")
    audit(anonymous, "phone-zh-public-community-projects", failures, shots)
    anonymous.submit(f"a[href$='/public/projects/{built.id}']")
    main = anonymous.page.inner_text("main")
    assert "支持 2" in main and "反对 0" in main
    assert "2,400.50" in main and "张*" in main and "2,900.50" in main
    assert "达到满意线" in main
    assert anonymous.page.locator("dl.facts dt:has-text('参评人数') + dd").first.inner_text() == "2"
    html = anonymous.page.content()
    for secret in SECRETS:
        assert secret not in html, secret
    audit(anonymous, "phone-zh-public-project", failures, shots)
    anonymous.go("/public" + down)
    assert "反对 2" in anonymous.page.inner_text("main")

    for person, path, name in ((alice, "/profile", "phone-zh-profile"),
                               (office, "/residency", "desktop-zh-residency"),
                               (office, "/projects/lists", "desktop-zh-three-lists"),
                               (office, "/projects/settings", "desktop-zh-rules")):
        person.go(path)
        audit(person, name, failures, shots)
    assert not failures, "\n".join(failures)
    for person in (alice, bob, office, anonymous):
        assert not [e for e in person.console_errors if "Content Security Policy" in e]
