"""The pages: filing with a provider, the staff forms, the public list, provider
accounts, and the building head's pages (masked phones, refusals as 403/404)."""
import re

from community.buildings import services as buildings
from community.core.extensions import db
from community.providers import services as providers
from community.providers.models import Commendation, Provider, TicketProvider
from community.ratings.models import Rating
from community.ratings.services import rate
from community.tickets.models import Ticket
from tests.factories import count, csrf_from, login
from tests.factories import T0

from .helpers import H, link, provider, resolve, ticket_about


def _filing(client, areas, **extra):
    page = client.get("/")
    body = page.get_data(as_text=True)
    data = {"csrf_token": csrf_from(page),
            "submit_token": re.search(r'name="submit_token"[^>]*value="([^"]+)"', body).group(1),
            "kind": "complaint", "category": "ELD", "text": "养老院饭菜太咸。",
            "community": str(areas.S1C1.id), "grid": str(areas.S1C1G1.id), "address": "1号楼"}
    data.update(extra)
    return body, data


def test_resident_picks_a_provider_of_their_community(client, people, areas):
    mine = provider(people, areas, name="幸福养老院", field="elderly")
    provider(people, areas, name="外社区物业", community=areas.S1C2)
    login(client, "13800000001")
    body, data = _filing(client, areas, provider=str(mine.id))
    assert "幸福养老院" in body and "外社区物业" not in body  # only their community's list
    assert client.post("/", data=data).status_code == 302
    assert link(Ticket.query.one()).provider_id == mine.id


def test_a_provider_of_another_community_is_refused(client, people, areas):
    elsewhere = provider(people, areas, name="外社区物业", community=areas.S1C2)
    login(client, "13800000001")
    _body, data = _filing(client, areas, provider=str(elsewhere.id))
    response = client.post("/", data=data)
    assert response.status_code == 400 and "请从本社区的服务商名单中选择" in response.get_data(as_text=True)
    assert count(Ticket) == 0 and count(TicketProvider) == 0


def test_staff_name_and_route_on_the_request_page(client, people, areas):
    mine = provider(people, areas, accounts=True)
    ticket = ticket_about(people, areas, None)
    login(client, "grid")
    page = client.get(f"/work/tickets/{ticket.id}")
    assert "涉及的服务商" in page.get_data(as_text=True)
    sent = client.post(f"/work/tickets/{ticket.id}/provider",
                       data={"csrf_token": csrf_from(page), "provider": mine.id, "route": "1"})
    assert sent.status_code == 302 and link(ticket).routed


def test_naming_refused_for_staff_outside(client, people, areas):
    mine = provider(people, areas)
    ticket = ticket_about(people, areas, None)
    login(client, "grid2")
    token = csrf_from(client.get("/work"))
    assert client.post(f"/work/tickets/{ticket.id}/provider",
                       data={"csrf_token": token, "provider": mine.id}).status_code == 404
    assert link(ticket) is None


def test_register_commend_and_open_an_account_through_the_pages(client, people, areas):
    login(client, "community")
    token = csrf_from(client.get("/providers"))
    assert client.post("/providers", data={"csrf_token": token, "community": areas.S1C1.id,
                                           "name": "安居物业", "field": "property"}).status_code == 302
    made = Provider.query.one()
    refused = client.post("/providers", data={"csrf_token": token, "community": areas.S1C1.id,
                                              "name": "", "field": "property"})
    assert refused.status_code == 422 and count(Provider) == 1
    url = f"/providers/{made.id}"
    assert client.post(f"{url}/options", data={"csrf_token": token, "accounts_enabled": "1",
                                               "active": "1"}).status_code == 302
    assert client.post(f"{url}/commend", data={"csrf_token": token, "note": "暴雨夜抢修"}).status_code == 302
    assert client.post(f"{url}/accounts", data={"csrf_token": token, "username": "anju",
                                                "password": "a-long-password"}).status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "暴雨夜抢修" in page and "anju" in page and "C2026.1" in page
    assert made.accounts_enabled and count(Commendation) == 1


def test_other_communities_get_404_on_a_provider(client, people, areas):
    mine = provider(people, areas)
    login(client, "community2")
    token = csrf_from(client.get("/providers"))
    assert client.get(f"/providers/{mine.id}").status_code == 404
    assert client.post(f"/providers/{mine.id}/commend", data={"csrf_token": token, "note": "x"}).status_code == 404
    assert count(Commendation) == 0


def test_grid_worker_reads_but_may_not_manage(client, people, areas):
    mine = provider(people, areas)
    login(client, "grid")
    page = client.get(f"/providers/{mine.id}")
    assert page.status_code == 200 and "记一次表扬" not in page.get_data(as_text=True)
    refused = client.post(f"/providers/{mine.id}/commend", data={"csrf_token": csrf_from(page), "note": "好"})
    assert refused.status_code == 403 and count(Commendation) == 0


def test_public_page_shows_figures_without_personal_data(client, people, areas, frozen):
    mine = provider(people, areas, name="安居物业")
    ticket = ticket_about(people, areas, mine)
    resolve(ticket, people, T0 + H)
    rate(ticket, people.resident, T0 + 3 * H, "no", "dissatisfied", comment="太差了", reasons=["attitude"])
    providers.commend(mine, people.community, T0, "张三师傅修好了13912345678家的电梯")
    db.session.commit()
    body = client.get(f"/public/communities/{areas.S1C1.code}/providers").get_data(as_text=True)
    assert "安居物业" in body and "C2026.1" in body and "信用分" in body
    for private in ("13800000001", "13912345678", "张三", "太差了", "电梯又坏了", ticket.tracking_code):
        assert private not in body
    assert client.get("/public/communities/S1C1G1/providers").status_code == 404  # a grid
    assert client.get("/public/communities/NOPE/providers").status_code == 404


def test_provider_account_pages(client, people, areas):
    mine = provider(people, areas, accounts=True)
    providers.create_account(mine, people.community, T0, "anju", "", "a-long-password")
    routed, other = ticket_about(people, areas, None), ticket_about(people, areas, mine)
    providers.name_provider(routed, people.grid, T0 + H, mine.id, route=True)
    db.session.commit()
    login(client, "anju", "a-long-password")
    listing = client.get("/provider")
    assert listing.status_code == 200 and f"/provider/tickets/{routed.id}" in listing.get_data(as_text=True)
    page = client.get(f"/provider/tickets/{routed.id}")
    assert "138****0001" in page.get_data(as_text=True)
    assert "13800000001" not in page.get_data(as_text=True)
    token = csrf_from(page)
    assert client.post(f"/provider/tickets/{routed.id}/reply",
                       data={"csrf_token": token, "text": "明天来修"}).status_code == 302
    assert client.post(f"/provider/tickets/{routed.id}/reply",
                       data={"csrf_token": token, "text": ""}).status_code == 422
    assert client.get(f"/provider/tickets/{other.id}").status_code == 404      # named, not routed
    assert client.get(f"/work/tickets/{routed.id}").status_code == 404          # not staff
    assert client.post(f"/work/tickets/{routed.id}/accept", data={"csrf_token": token}).status_code == 404
    assert client.get("/providers").status_code == 404
    assert routed.state == "submitted"


def _head(people, areas):
    buildings.appoint(people.community, T0, "13800000002", areas.S1C1G1.id, "1号楼")
    db.session.commit()


def test_head_pages_show_their_buildings_with_phones_masked(client, people, areas):
    _head(people, areas)
    mine = ticket_about(people, areas, None, address="幸福小区1号楼")
    other = ticket_about(people, areas, None, address="2号楼")
    login(client, "13800000002")
    listing = client.get("/buildings").get_data(as_text=True)
    assert f"/buildings/tickets/{mine.id}" in listing and f"/buildings/tickets/{other.id}" not in listing
    detail = client.get(f"/buildings/tickets/{mine.id}").get_data(as_text=True)
    assert "138****0001" in detail and "13800000001" not in detail and "13800000001" not in listing
    assert client.get(f"/buildings/tickets/{other.id}").status_code == 404
    assert "楼栋诉求" in client.get("/my").get_data(as_text=True)  # in their menu


def test_head_files_on_behalf_through_the_page(client, people, areas):
    _head(people, areas)
    login(client, "13800000002")
    page = client.get("/buildings/file")
    form = {"csrf_token": csrf_from(page), "submit_token": "tok-1", "kind": "help", "category": "ELD",
            "text": "王奶奶家水管漏水。", "grid": areas.S1C1G1.id, "address": "1号楼302",
            "contact_name": "王奶奶", "contact_phone": "13900001111"}
    refused = client.post("/buildings/file", data={**form, "address": "2号楼302", "submit_token": "tok-0"})
    assert refused.status_code == 403 and count(Ticket) == 0
    assert client.post("/buildings/file", data=form).status_code == 302
    ticket = Ticket.query.one()
    assert ticket.filed_by_id == people.resident2.id and ticket.resident_id is None
    assert client.post("/buildings/file", data=form).status_code == 302 and count(Ticket) == 1  # twice: once


def test_office_appoints_and_ends_heads_through_the_page(client, people, areas):
    from community.buildings.models import BuildingHead

    login(client, "community")
    page = client.get("/building-heads")
    form = {"csrf_token": csrf_from(page), "phone": "13800000002", "grid": areas.S1C1G1.id,
            "buildings": "1号楼"}
    refused = client.post("/building-heads", data={**form, "phone": "13899999999"})
    assert refused.status_code == 422 and "没有找到用这个手机号注册的居民" in refused.get_data(as_text=True)
    assert count(BuildingHead) == 0
    assert client.post("/building-heads", data=form).status_code == 302
    head = BuildingHead.query.one()
    assert client.post("/building-heads/999999/end", data={"csrf_token": form["csrf_token"]}).status_code == 404
    assert client.post(f"/building-heads/{head.id}/end", data={"csrf_token": form["csrf_token"]}).status_code == 302
    db.session.refresh(head)
    assert head.ended_at is not None


def test_head_refusals_on_staff_and_rating_routes(client, people, areas):
    _head(people, areas)
    ticket = ticket_about(people, areas, None, address="1号楼")
    resolve(ticket, people, T0 + H)
    login(client, "13800000002")
    token = csrf_from(client.get("/buildings"))
    for url in (f"/work/tickets/{ticket.id}/accept", f"/work/tickets/{ticket.id}/reveal",
                f"/work/tickets/{ticket.id}/callback-rating", f"/work/tickets/{ticket.id}/provider"):
        assert client.post(url, data={"csrf_token": token}).status_code == 404, url
    assert client.get(f"/work/tickets/{ticket.id}").status_code == 404
    rated = client.post(f"/t/{ticket.tracking_code}/rate",
                        data={"csrf_token": token, "solved": "yes", "level": "satisfied"})
    assert rated.status_code == 403 and count(Rating) == 0
    api = client.post(f"/api/v1/requests/{ticket.tracking_code}/reveal-contact", json={},
                      headers={"X-CSRFToken": token})
    assert api.status_code in (403, 404) and b"13800000001" not in api.get_data()
    assert client.get("/building-heads").status_code == 404  # the office's page


def test_non_heads_get_404(client, people, areas):
    login(client, "13800000001")
    assert client.get("/buildings").status_code == 404
    assert client.get("/buildings/file").status_code == 404


def test_office_appoints_through_the_page(client, people, areas):
    login(client, "community")
    page = client.get("/building-heads")
    token = csrf_from(page)
    bad = client.post("/building-heads", data={"csrf_token": token, "phone": "139", "grid": areas.S1C1G1.id,
                                               "buildings": "1号楼"})
    assert bad.status_code == 422
    assert client.post("/building-heads", data={"csrf_token": token, "phone": "13800000002",
                                                "grid": areas.S1C1G1.id, "buildings": "1号楼,2号楼"}).status_code == 302
    assert "13800000002" not in client.get("/building-heads").get_data(as_text=True)  # masked
    row = buildings.current_of(people.resident2)[0]
    assert client.post(f"/building-heads/{row.id}/end", data={"csrf_token": token}).status_code == 302
    assert len(buildings.current_of(people.resident2)) == 1
