"""The maps in a real browser, on the demo city (`seed-demo`, the demo_city fixture): "use
my location" and a tap on the filing page's map find the grid and the request is filed
there; the staff ticket page, the street dashboard and /public draw their areas; axe finds
no serious violation on any of them. Screenshots (artifacts/maps-*.png) are the README's."""
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from sqlalchemy import select

from community.areas import geo
from community.areas.models import Unit
from community.core.extensions import db
from community.tickets.models import Ticket

from .conftest import DESKTOP, PHONE

BLOCKING = {"serious", "critical"}


def inside(grid) -> tuple[float, float]:
    """The middle of the grid's bounding box, or the nearest point inside it on a scan."""
    polygons = geo.polygons_of(grid.boundary)
    for step in range(1, 40):
        for i in range(step):
            lat = grid.bbox_south + (grid.bbox_north - grid.bbox_south) * (i + 0.5) / step
            long = grid.bbox_west + (grid.bbox_east - grid.bbox_west) * 0.5
            if geo.contains(polygons, lat, long):
                return lat, long
    raise AssertionError(f"no point found inside {grid.code}")


def serious(page, name):
    found = []
    for violation in Axe().run(page).response["violations"]:
        if violation["impact"] in BLOCKING:
            found.append(f"{name}: {violation['id']} {violation['help']} "
                         f"@ {[n['target'] for n in violation['nodes'][:3]]}")
    return found


def test_use_my_location_finds_the_grid_and_files_there(app, browser, live_server, demo_city):
    grid = db.session.scalar(select(Unit).where(Unit.code == "53019900100203"))
    lat, long = inside(grid)
    context = browser.new_context(viewport=PHONE, locale="zh-CN", base_url=live_server,
                                  geolocation={"latitude": lat, "longitude": long},
                                  permissions=["geolocation"])
    try:
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto("/login")
        page.fill("#login", "13800000001")
        page.fill("#password", "demo-password")
        with page.expect_navigation():
            page.click("main form button[type=submit], main form input[type=submit]")
        page.goto("/")
        page.wait_for_selector(".map-picker .leaflet-container path.leaflet-interactive")
        page.click("[data-locate]")
        expect(page.locator("[data-map-status]")).to_contain_text(grid.name)
        assert page.input_value("select[name=grid]") == str(grid.id)
        assert page.input_value("select[name=community]") == str(grid.community_id)
        assert abs(float(page.input_value("input[name=lat]")) - lat) < 1e-5
        page.select_option("select[name=category]", "ENV")
        page.fill("textarea[name=text]", "小区门口垃圾桶满了，请清运。")
        page.locator(".map-picker").screenshot(path=str(_artifact("maps-filing")))
        failures = serious(page, "filing")
        with page.expect_navigation():
            page.click("main form [type=submit]:has-text('提交诉求')")
        assert "/t/" in page.url, page.inner_text("main")
        db.session.expire_all()
        ticket = db.session.scalar(select(Ticket).order_by(Ticket.id.desc()).limit(1))
        assert ticket.grid_id == grid.id and abs(ticket.latitude - lat) < 1e-5
        # A tap elsewhere on the map moves the point; the grid follows.
        page.goto("/")
        page.wait_for_selector(".map-picker .leaflet-container path.leaflet-interactive")
        page.locator(".map-picker .leaflet-container").click(position={"x": 60, "y": 60})
        expect(page.locator("[data-map-status]")).not_to_be_empty()
        assert page.input_value("input[name=lat]")
        assert not errors and not failures, errors + failures
    finally:
        context.close()


def _artifact(name):
    from .conftest import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / f"{name}.png"


def test_staff_dashboard_and_public_maps(app, visitor, demo_city):
    ticket = db.session.scalar(select(Ticket).where(Ticket.latitude.is_not(None),
                                                    Ticket.state == "in_progress").limit(1))
    staff = visitor(viewport=DESKTOP)
    staff.login("county1", "demo-password")
    failures = []
    staff.go(f"/work/tickets/{ticket.id}")
    page = staff.page
    page.wait_for_selector("#map-h ~ .map path.leaflet-interactive")
    assert page.locator("#map-h ~ .map .leaflet-marker-icon").count() == 1
    page.locator("section[aria-labelledby=map-h]").screenshot(path=str(_artifact("maps-ticket")))
    failures += serious(page, "ticket")

    street = db.session.scalar(select(Unit).where(Unit.code == "530199001"))
    staff.go(f"/stats/units/{street.id}")
    page.wait_for_selector("[data-map=dashboard-map] path.leaflet-interactive")
    grids = db.session.scalar(select(db.func.count()).select_from(Unit).where(
        Unit.street_id == street.id, Unit.kind == "grid"))
    drawn = page.locator("[data-map=dashboard-map] path.leaflet-interactive").count()
    assert drawn >= grids + 1  # every grid, and the requests' points
    # The table beside the map: the first grids to look at, the rest on the grids page.
    shown = min(grids, app.config["COMMUNITY_DASHBOARD_GRID_ROWS"])
    assert page.locator("#map-table tbody tr").count() == shown
    assert page.get_by_role("link", name="查看全部网格").count() == (1 if grids > shown else 0)
    page.locator("section[aria-labelledby=map-h]").screenshot(path=str(_artifact("maps-dashboard")))
    failures += serious(page, "dashboard")
    staff.go(f"/stats/units/{street.id}/grids?map=satisfaction")
    assert page.locator("#grid-table tbody tr").count() == min(grids, app.config["COMMUNITY_PAGE_SIZE"])
    failures += serious(page, "grids")
    staff.go(f"/stats/units/{street.id}?map=overdue")
    page.wait_for_selector("[data-map=dashboard-map] path.leaflet-interactive")
    failures += serious(page, "dashboard-overdue")

    anyone = visitor(viewport=DESKTOP)
    anyone.go("/public?map=valid_ratings")
    page = anyone.page
    page.wait_for_selector("[data-map=public-map] path.leaflet-interactive")
    assert page.locator("[data-map=public-map] path.leaflet-interactive").count() == 12  # communities only
    page.locator("section[aria-labelledby=map-h]").screenshot(path=str(_artifact("maps-public")))
    failures += serious(page, "public")
    assert not failures, failures
    assert not staff.console_errors and not anyone.console_errors, \
        staff.console_errors + anyone.console_errors
