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
    first = client.get("/ratings").get_data(as_text=True)
    assert codes[2] in first and codes[1] in first and codes[0] not in first
    older = first.split('rel="next" href="')[1].split('"')[0].replace("&amp;", "&")
    second = client.get(older).get_data(as_text=True)
    assert codes[0] in second and codes[1] not in second and 'rel="next"' not in second
    # a bound that is no rating: the first page again, never an error page
    assert codes[2] in client.get("/ratings?before=999999").get_data(as_text=True)
    assert codes[2] in client.get("/ratings?before=x").get_data(as_text=True)


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
