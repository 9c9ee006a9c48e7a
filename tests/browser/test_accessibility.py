"""axe-core finds no serious or critical violation on the main pages, in normal and
elder mode, in Chinese and English; each page is screenshotted under artifacts/."""
import pytest
from axe_playwright_python.sync_playwright import Axe

from community.core.extensions import db
from community.core.timeutil import utcnow
from community.workqueue import actions
from tests import factories
from tests.factories import file_ticket

from .conftest import DESKTOP, PHONE

BLOCKING = {"serious", "critical"}


# Every page is audited in all four combinations; screenshots of all of them in two
# (that is enough to look at, and keeps the suite quick).
SCREENSHOT_COMBOS = {("zh", "normal"), ("en", "elder")}


# axe-core goes into every page of this test's visitors as it loads (an init script, in
# every frame): evaluating its 500 kB into each page afterwards cost 0.15 s a page.
AXE_SCRIPT = Axe().axe_script


def audit(visitor, name, failures, shots, screenshot=True):
    page = visitor.page
    page.wait_for_load_state("load")
    if not page.evaluate("typeof axe === 'object'"):  # a visitor without the init script
        page.evaluate(AXE_SCRIPT)
    results = page.evaluate("options => axe.run(document, options)", {"resultTypes": ["violations"]})
    for violation in results["violations"]:
        if violation["impact"] in BLOCKING:
            targets = [" ".join(map(str, node["target"])) for node in violation["nodes"][:3]]
            failures.append(f"{name}: {violation['id']} ({violation['impact']}) "
                            f"{violation['help']} @ {targets}")
    if screenshot:
        visitor.shot(name)
    shots.append(name)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("mode", ["normal", "elder"])
def test_main_pages_have_no_serious_accessibility_violations(visitor, live_server, people, areas,
                                                             mode, lang):
    now = utcnow()
    ticket = file_ticket(people, areas, now=now)
    done = file_ticket(people, areas, now=now)  # resolved: its page offers the rating
    actions.accept(done, people.grid, now)
    actions.resolve(done, people.grid, now, "solved", "已更换灯泡。")
    db.session.commit()
    failures, shots = [], []
    cookies = [{"name": "lang", "value": lang, "url": live_server},
               {"name": "elder", "value": "1" if mode == "elder" else "0", "url": live_server}]

    def person(viewport=PHONE):
        v = visitor(viewport=viewport, locale="zh-CN" if lang == "zh" else "en-US")
        v.context.add_cookies(cookies)
        v.context.add_init_script(script=AXE_SCRIPT)
        return v

    prefix = f"{lang}-{mode}"
    screenshot = (lang, mode) in SCREENSHOT_COMBOS
    anonymous = person()
    for slug, path in (("welcome", "/"), ("login", "/login"), ("signup", "/signup"),
                       ("lookup", "/t"), ("track", f"/t/{ticket.tracking_code}"),
                       ("track-resolved", f"/t/{done.tracking_code}"),
                       ("not-found", "/no-such-page"), ("reset", "/reset"),
                       ("dev-messages", "/dev/messages")):
        anonymous.go(path)
        audit(anonymous, f"phone-{prefix}-{slug}", failures, shots, screenshot)

    resident = person()
    resident.sign_in(people.resident.phone, factories.PASSWORD)
    for slug, path in (("file", "/"), ("my", "/my"), ("my-filtered", "/my?state=resolved&q=楼道"),
                       ("notifications", "/notifications")):
        resident.go(path)
        audit(resident, f"phone-{prefix}-{slug}", failures, shots, screenshot)

    worker = person()
    worker.sign_in("grid", factories.PASSWORD)
    for slug, path in (("queue", "/work"), ("ticket", f"/work/tickets/{ticket.id}"),
                       ("area", "/work?view=area"), ("search", "/work/search?q=楼道"),
                       ("bell", "/notifications"), ("file-for", "/")):
        worker.go(path)
        audit(worker, f"phone-{prefix}-worker-{slug}", failures, shots, screenshot)

    officer = person(DESKTOP)
    officer.sign_in("street", factories.PASSWORD)
    for slug, path in (("queue", "/work"), ("dashboard", "/stats"), ("public", "/public")):
        if officer.go(path).status == 404:
            continue
        audit(officer, f"desktop-{prefix}-street-{slug}", failures, shots, screenshot)

    admin = person()  # the admin's pages (issue 24) at phone width
    admin.sign_in("admin", factories.PASSWORD)
    for slug, path in (("menu", "/admin"), ("users", "/admin/users"), ("user", f"/admin/users/{people.grid.id}"),
                       ("areas", f"/admin/areas?unit={areas.S1C1.id}"), ("categories", "/admin/categories"),
                       ("exchange", "/admin/exchange"), ("audit", "/admin/audit")):
        admin.go(path)
        audit(admin, f"phone-{prefix}-admin-{slug}", failures, shots, screenshot)

    assert not failures, "\n".join(failures)
    assert len(shots) >= 12
