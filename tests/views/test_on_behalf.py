"""代办: staff file a request for a resident who cannot, with the channel recorded."""
import re

from community.core.extensions import db
from community.tickets.models import Ticket, TicketEvent
from tests.factories import count, csrf_from, login


def behalf_form(client, areas, **extra):
    page = client.get("/")
    body = page.get_data(as_text=True)
    assert 'name="contact_phone"' in body and 'name="channel"' in body  # staff see the 代办 fields
    data = {"csrf_token": csrf_from(page),
            "submit_token": re.search(r'name="submit_token"[^>]*value="([^"]+)"', body).group(1),
            "kind": "help", "category": "ELD", "text": "独居老人电话求助，家里水管漏水。",
            "community": str(areas.S1C1.id), "grid": str(areas.S1C1G1.id), "address": "1号楼",
            "contact_name": "王大爷", "contact_phone": "13800000001", "channel": "grid_worker"}
    data.update(extra)
    return data


def test_grid_worker_files_for_a_resident_with_an_account(client, people, areas):
    login(client, "grid")
    response = client.post("/", data=behalf_form(client, areas))
    assert response.status_code == 302
    ticket = Ticket.query.one()
    assert ticket.filed_by_id == people.grid.id and ticket.channel == "grid_worker"
    assert ticket.resident_id == people.resident.id  # linked: it shows in their "my requests"
    assert ticket.contact_name == "王大爷" and ticket.contact_phone == "13800000001"
    assert ticket.grid_id == areas.S1C1G1.id and ticket.handling_unit_id == areas.S1C1G1.id
    [event] = ticket.events
    assert event.actor_id == people.grid.id and "代为提交" in event.note
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/"))})
    login(client, "13800000001")
    assert ticket.tracking_code in client.get("/my").get_data(as_text=True)


def test_phone_typed_with_spaces_still_finds_the_resident(client, people, areas):
    login(client, "grid")
    client.post("/", data=behalf_form(client, areas, contact_phone="138 0000-0001", channel="hotline"))
    ticket = Ticket.query.one()
    assert ticket.resident_id == people.resident.id and ticket.contact_phone == "13800000001"
    assert ticket.channel == "hotline"


def test_resident_without_an_account_is_kept_as_a_contact(client, people, areas):
    login(client, "grid")
    client.post("/", data=behalf_form(client, areas, contact_phone="0871-65123456"))
    ticket = Ticket.query.one()
    assert ticket.resident_id is None and ticket.contact_phone == "087165123456"
    assert ticket.filed_by_id == people.grid.id


def test_grid_worker_cannot_file_for_another_grid(client, people, areas):
    login(client, "grid")  # works in S1C1G1
    response = client.post("/", data=behalf_form(client, areas, grid=str(areas.S1C1G2.id)))
    assert response.status_code == 403
    assert "只能为本单位辖区内的居民代办" in response.get_data(as_text=True)
    assert count(Ticket) == 0 and count(TicketEvent) == 0


def test_address_placing_the_request_in_another_grid_is_refused(client, people, areas):
    login(client, "grid")
    response = client.post("/", data=behalf_form(client, areas, grid="", address="2号楼"))
    assert response.status_code == 403 and count(Ticket) == 0


def test_missing_contact_phone_is_refused(client, people, areas):
    login(client, "grid")
    response = client.post("/", data=behalf_form(client, areas, contact_phone="  "))
    assert response.status_code == 400
    assert "代办需要填写居民的联系电话" in response.get_data(as_text=True)
    assert count(Ticket) == 0 and count(TicketEvent) == 0


def test_staff_must_name_the_channel(client, people, areas):
    login(client, "grid")
    response = client.post("/", data=behalf_form(client, areas, channel="web"))
    assert response.status_code == 400 and "代办请选择受理渠道" in response.get_data(as_text=True)
    assert count(Ticket) == 0


def test_community_worker_files_for_any_grid_of_the_community_only(client, people, areas):
    login(client, "community")  # S1C1
    ok = client.post("/", data=behalf_form(client, areas, grid=str(areas.S1C1G2.id),
                                           channel="walk_in"))
    assert ok.status_code == 302
    refused = client.post("/", data=behalf_form(client, areas, community=str(areas.S1C2.id),
                                                grid=str(areas.S1C2G1.id)))
    assert refused.status_code == 403
    ticket = Ticket.query.one()
    assert ticket.grid_id == areas.S1C1G2.id and ticket.channel == "walk_in"


def test_department_staff_cannot_file_on_behalf(client, people, areas):
    login(client, "dept")
    response = client.post("/", data=behalf_form(client, areas))
    assert response.status_code == 403 and count(Ticket) == 0


def test_resident_cannot_pose_as_staff(client, people, areas):
    """A resident's filing is always their own, whatever the posted fields say."""
    login(client, "13800000001")
    page = client.get("/")
    body = page.get_data(as_text=True)
    assert 'name="contact_phone"' not in body
    data = {"csrf_token": csrf_from(page),
            "submit_token": re.search(r'name="submit_token"[^>]*value="([^"]+)"', body).group(1),
            "kind": "help", "category": "ELD", "text": "水管漏水。", "community": str(areas.S1C1.id),
            "contact_phone": "13800000002", "channel": "hotline"}
    assert client.post("/", data=data).status_code == 302
    ticket = db.session.scalars(db.select(Ticket)).one()
    assert ticket.resident_id == people.resident.id and ticket.channel == "web"
    assert ticket.filed_by_id is None and ticket.contact_phone == "13800000001"


def community_options(html):
    select = html[html.index('name="community"'):]
    select = select[:select.index("</select>")]
    return set(re.findall(r'<option [^>]*value="(\d+)"', select))


def ids(*units):
    return {str(u.id) for u in units}


def test_staff_pick_from_their_own_area_and_residents_from_every_community(client, people, areas):
    everyone = ids(areas.S1C1, areas.S1C2, areas.S2C1, areas.S2C2)
    for who, offered in (("street", ids(areas.S1C1, areas.S1C2)), ("county", everyone),
                         ("dept", everyone), ("grid", ids(areas.S1C1, areas.S1C2)), ("admin", set())):
        login(client, who)
        html = client.get("/").get_data(as_text=True)
        assert community_options(html) == offered, who
        assert 'name="community_q"' in html and 'name="find_community"' in html
    login(client, "13800000001")  # a resident's form is as it was: every community, no search
    html = client.get("/").get_data(as_text=True)
    assert community_options(html) == everyone and 'name="community_q"' not in html


def test_staff_find_a_community_by_its_or_its_streets_name_and_nothing_is_filed(client, people, areas):
    login(client, "admin")
    found = client.post("/", data=behalf_form(client, areas, community="", grid="", community_q="社区2-1",
                                              find_community="1"))
    html = found.get_data(as_text=True)
    assert found.status_code == 200 and community_options(html) == ids(areas.S2C1)
    assert 'value="社区2-1"' in html and count(Ticket) == 0
    by_street = client.get("/", query_string={"community_q": "街道1"}).get_data(as_text=True)
    assert community_options(by_street) == ids(areas.S1C1, areas.S1C2)
    nothing = client.post("/", data=behalf_form(client, areas, community_q="没有这个%_",
                                                find_community="1")).get_data(as_text=True)
    assert "没有找到这个名称的社区" in nothing
    assert community_options(nothing) == ids(areas.S1C1)  # the chosen one stays in the list


def test_a_community_found_by_name_is_filed_into_or_refused_by_the_filing_rule(client, people, areas):
    login(client, "admin")
    filed = client.post("/", data=behalf_form(client, areas, community=str(areas.S2C1.id),
                                              grid=str(areas.S2C1G1.id), community_q="社区2-1"))
    assert filed.status_code == 302 and Ticket.query.one().community_id == areas.S2C1.id
    login(client, "street")  # found by name, but another street's: the filing's rule refuses
    refused = client.post("/", data=behalf_form(client, areas, community=str(areas.S2C1.id),
                                                grid=str(areas.S2C1G1.id)))
    assert refused.status_code == 403 and count(Ticket) == 1
    assert str(areas.S2C1.id) in community_options(refused.get_data(as_text=True))
