"""/ratings a page at a time (issue 30): the newest first, "next page" from the last one
shown, the same ratings for each role as before, refused to residents."""
from community.core.extensions import db
from community.ratings import services
from tests.factories import H, T0, login, resolved_ticket

LATER = T0 + 3 * H


def _rated(people, areas, n):
    ratings = [services.rate(resolved_ticket(people, areas), people.resident, LATER + i * H, "yes", "satisfied")
               for i in range(n)]
    db.session.commit()
    return [r.ticket.tracking_code for r in ratings]


def test_the_list_pages_from_its_last_rating(app, client, people, areas, frozen, monkeypatch):
    codes = _rated(people, areas, 3)  # oldest first
    monkeypatch.setitem(app.config, "COMMUNITY_PAGE_SIZE", 2)
    login(client, "grid")
    _pages_newest_first(client, "/ratings", codes)


def _pages_newest_first(client, url, codes):
    """Three rows, oldest first, two a page: the newest two, then "下一页" to the oldest;
    a bound that is no row gives the first page again, never an error page. Answers the
    second page's address and text."""
    first = client.get(url).get_data(as_text=True)
    assert codes[2] in first and codes[1] in first and codes[0] not in first
    older = first.split('rel="next" href="')[1].split('"')[0].replace("&amp;", "&")
    second = client.get(older).get_data(as_text=True)
    assert codes[0] in second and codes[1] not in second and 'rel="next"' not in second
    assert codes[2] in client.get(f"{url}?before=999999").get_data(as_text=True)
    assert codes[2] in client.get(f"{url}?before=x").get_data(as_text=True)
    return older, second


def test_the_list_keeps_each_roles_ratings(app, client, people, areas, frozen):
    codes = _rated(people, areas, 1)
    for who in ("grid", "community", "street", "county", "admin"):
        login(client, who)
        assert codes[0] in client.get("/ratings").get_data(as_text=True), who
        client.get("/logout")
    for who in ("grid2", "street2", "dept"):
        login(client, who)
        page = client.get("/ratings")
        assert page.status_code == 200 and codes[0] not in page.get_data(as_text=True), who
        client.get("/logout")
    login(client, "13800000001")
    assert client.get("/ratings").status_code == 404


def _appealed(people, areas, n):
    from community.ratings import appeals

    made = []
    for i in range(n):
        ticket = resolved_ticket(people, areas)
        rating = services.rate(ticket, people.resident, LATER + i * H, "no", "very_dissatisfied",
                               reasons=["not_solved"])
        appeals.file_appeal(rating, people.grid, LATER + i * H, "评价与办理无关")
        made.append(ticket.tracking_code)
    db.session.commit()
    return made


def test_the_appeals_list_pages_from_its_last_appeal(app, client, people, areas, frozen, monkeypatch):
    """Issue 30: a street's list showed every appeal it ever had (77 at 5M requests)."""
    codes = _appealed(people, areas, 3)  # oldest first
    monkeypatch.setitem(app.config, "COMMUNITY_PAGE_SIZE", 2)
    login(client, "street")
    older, second = _pages_newest_first(client, "/ratings/appeals", codes)
    assert 'name="uphold"' in second  # the street decides them, on every page
    client.get("/logout")
    login(client, "street2")  # another street: none of them, on any page
    for path in ("/ratings/appeals", older):
        page = client.get(path)
        assert page.status_code == 200 and not any(c in page.get_data(as_text=True) for c in codes)


def test_a_departments_pages_list_the_requests_it_handles(app, client, people, areas, frozen):
    """Issue 30 (0036): a department's ratings, appeals and cases by the handling unit on
    each row; another department sees none of them, a resident no such page."""
    from sqlalchemy import select

    from community.ratings import appeals
    from community.tickets.models import Category
    from community.workqueue import actions
    from tests.factories import file_ticket

    db.session.scalar(select(Category).where(Category.code == "EDU")).department_id = areas.D1.id
    db.session.commit()
    ticket = file_ticket(people, areas, category="EDU")
    actions.accept(ticket, people.dept, T0 + H)
    actions.resolve(ticket, people.dept, T0 + 2 * H, "solved", "已协调解决。")
    rating = services.rate(ticket, people.resident, LATER, "no", "dissatisfied", reasons=["too_slow"])
    appeals.file_appeal(rating, people.dept, LATER, "评价与办理无关")
    db.session.commit()
    login(client, "dept")
    for path in ("/ratings", "/ratings/appeals", "/ratings/cases"):
        assert ticket.tracking_code in client.get(path).get_data(as_text=True), path
    client.get("/logout")
    login(client, "dept2")
    for path in ("/ratings", "/ratings/appeals", "/ratings/cases"):
        page = client.get(path)
        assert page.status_code == 200 and ticket.tracking_code not in page.get_data(as_text=True), path
    client.get("/logout")
    login(client, "13800000001")
    for path in ("/ratings", "/ratings/appeals", "/ratings/cases"):
        assert client.get(path).status_code == 404, path
