"""Open311 GeoReport v2: every endpoint in JSON and XML, with good and bad input."""
import io
import urllib.parse
import xml.etree.ElementTree as ET
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from sqlalchemy import select

from community.core.extensions import db
from community.open311.models import Open311Request
from community.tickets.models import Ticket, TicketPhoto
from community.workqueue import actions
from tests.factories import T0, file_ticket

NOW = T0 + timedelta(minutes=30)
V2 = "/open311/v2"
# Requests are built at T0; tokens, pages and windows read the clock stopped
# at T0 + 30 min (conftest `frozen`), whatever day the suite runs.
pytestmark = pytest.mark.usefixtures("frozen")


def xml(answer):
    assert answer.mimetype == "text/xml", answer.get_data(as_text=True)
    return ET.fromstring(answer.get_data())


def request_ids(client, query, fmt="json"):
    """The service_request_ids a GET requests.<fmt> answers with, in its order."""
    answer = client.get(f"{V2}/requests.{fmt}", query_string=query)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    if fmt == "xml":
        return [r.findtext("service_request_id") for r in xml(answer)]
    return [r["service_request_id"] for r in answer.get_json()]


def errors_of(answer, fmt="json"):
    if fmt == "xml":
        root = xml(answer)
        assert root.tag == "errors"
        return [(int(e.findtext("code")), e.findtext("description")) for e in root]
    return [(e["code"], e["description"]) for e in answer.get_json()]


def post(client, key, fmt="json", **fields):
    data = {"api_key": key, "service_code": "ELD", "description": "垃圾桶满了没人清运",
            "lat": "25.005", "long": "102.005"}
    data.update(fields)
    return client.post(f"{V2}/requests.{fmt}", data={k: v for k, v in data.items() if v is not None})


def test_discovery(client):
    body = client.get(f"{V2}/discovery.json").get_json()
    endpoint = body["endpoints"][0]
    assert endpoint["url"].endswith("/open311/v2") and "application/json" in endpoint["formats"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    root = xml(client.get(f"{V2}/discovery.xml"))
    assert root.tag == "discovery"
    assert [f.text for f in root.find("endpoints/endpoint/formats")] == ["text/xml", "application/json"]


def test_services_come_from_the_categories(client):
    services = client.get(f"{V2}/services.json").get_json()
    eld = next(s for s in services if s["service_code"] == "ELD")
    assert eld["service_name"] == "养老" and eld["metadata"] is True and eld["type"] == "realtime"
    root = xml(client.get(f"{V2}/services.xml", headers={"Accept-Language": "en"}))
    names = {s.findtext("service_code"): s.findtext("service_name") for s in root}
    assert root.tag == "services" and names["ELD"] == "Elderly care" and len(names) == len(services)


def test_service_definitions_carry_kind_and_urgency(client):
    body = client.get(f"{V2}/services/ENV.json").get_json()
    codes = {a["code"]: a for a in body["attributes"]}
    assert body["service_code"] == "ENV" and set(codes) == {"kind", "urgency", "text_public"}
    assert {v["key"] for v in codes["urgency"]["values"]} == {"normal", "urgent"}
    root = xml(client.get(f"{V2}/services/ENV.xml"))
    assert root.tag == "service_definition"
    kinds = [v.findtext("key") for v in root.find("attributes/attribute/values")]
    assert kinds == ["help", "consult", "complaint", "suggestion", "report"]
    for fmt in ("json", "xml"):
        missing = client.get(f"{V2}/services/NOPE.{fmt}")
        assert missing.status_code == 404 and errors_of(missing, fmt)[0][0] == 404


def test_post_by_point_then_read_it_back(client, mapped, o311_key, frozen):
    answer = post(client, o311_key, **{"attribute[kind]": "complaint", "attribute[urgency]": "urgent",
                                       "email": "a@example.org", "phone": "138 0000 0009",
                                       "first_name": "梅", "last_name": "韩", "account_id": "u-7",
                                       "media_url": "https://example.org/p.jpg"})
    assert answer.status_code == 201, answer.get_data(as_text=True)
    created = answer.get_json()[0]
    code, token = created["service_request_id"], created["token"]
    ticket = db.session.scalar(select(Ticket))
    # The public number is the id; the tracking code goes only to the filing client.
    assert created["account_id"] == "u-7" and ticket.tracking_code in created["service_notice"]
    assert code == str(ticket.id) and ticket.tracking_code not in str(client.get(
        f"{V2}/requests.json").get_json())
    assert client.get(f"{V2}/requests/{ticket.tracking_code}.json").get_json()[0][
        "service_request_id"] == code  # the filing client may still look it up by its code
    assert ticket.channel == "open311" and ticket.resident_id is None
    assert (ticket.kind, ticket.urgency, ticket.grid.code) == ("complaint", "urgent", "S1C1G1")
    assert ticket.contact_name == "韩梅" and ticket.contact_phone == "13800000009"
    assert (ticket.latitude, ticket.longitude) == (25.005, 102.005)
    record = db.session.scalar(select(Open311Request))
    assert record.email == "a@example.org" and record.client.name == "test-client"

    public = client.get(f"{V2}/requests/{code}.json").get_json()[0]
    assert public["status"] == "open" and public["service_code"] == "ELD"
    assert public["agency_responsible"] == "网格1-1-1"
    assert public["description"] == "" and public["lat"] is None  # not allowed to be public
    assert "13800000009" not in str(public) and "韩梅" not in str(public)
    root = xml(client.get(f"{V2}/requests/{code}.xml"))
    assert root.tag == "service_requests" and root.find("request/service_request_id").text == code
    assert client.get(f"{V2}/tokens/{token}.json").get_json() == [
        {"token": token, "service_request_id": code}]
    assert xml(client.get(f"{V2}/tokens/{token}.xml")).find("request/service_request_id").text == code
    for fmt in ("json", "xml"):
        assert client.get(f"{V2}/tokens/nope.{fmt}").status_code == 404
        assert errors_of(client.get(f"{V2}/requests/NOPE.{fmt}"), fmt)[0][0] == 404


def test_public_answers_mask_numbers_and_coarsen_the_place(client, mapped, o311_key):
    """Issue 21, finding 1: the resident allowed the text to be public and wrote a phone
    number and an ID-card number in it; the address names the flat."""
    code = post(client, o311_key, description="电话13912345678，身份证110101199003071234，请尽快处理",
                address_string="北门小区7栋3单元302", lat="25.00537", long="102.00461",
                **{"attribute[text_public]": "true"}).get_json()[0]["service_request_id"]
    for url in (f"{V2}/requests/{code}.json", f"{V2}/requests.json"):
        public = client.get(url).get_json()[0]
        assert public["description"] == "电话139****5678，身份证******************，请尽快处理"
        assert public["address"] == "北门小区7栋"
        assert (public["lat"], public["long"]) == (25.005, 102.005)  # about 100 m, not the door
    body = client.get(f"{V2}/requests/{code}.xml").get_data(as_text=True)
    for secret in ("13912345678", "110101199003071234", "302", "25.00537"):
        assert secret not in body
    assert db.session.scalar(select(Ticket.text)).startswith("电话13912345678")  # kept for the handler


def test_expected_datetime_is_the_resolution_deadline(client, people, mapped, o311_key, frozen):
    code = post(client, o311_key, **{"attribute[text_public]": "true"}).get_json()[0][
        "service_request_id"]
    assert client.get(f"{V2}/requests/{code}.json").get_json()[0]["expected_datetime"] is None
    ticket = db.session.scalar(select(Ticket))
    actions.accept(ticket, people.grid, NOW)
    db.session.commit()
    public = client.get(f"{V2}/requests/{code}.json").get_json()[0]
    local_due = ticket.resolve_due_at.astimezone(ZoneInfo("Asia/Shanghai"))
    assert public["expected_datetime"] == local_due.isoformat(timespec="seconds")
    assert public["description"] == "垃圾桶满了没人清运" and public["lat"] == 25.005  # allowed
    assert public["status_notes"] == "已签收"


def test_post_by_address_string_and_address_id(client, areas, o311_key):
    by_words = post(client, o311_key, lat=None, long=None, address_string="社区1-2 2号楼 3单元")
    assert by_words.status_code == 201
    by_id = post(client, o311_key, fmt="xml", lat=None, long=None, address_id="S2C1G2")
    assert by_id.status_code == 201 and xml(by_id).find("request/token").text
    grids = [t.grid.code for t in db.session.scalars(select(Ticket).order_by(Ticket.id))]
    assert grids == ["S1C2G2", "S2C1G2"]


def test_an_address_naming_no_grid_is_filed_as_unsure(client, areas, o311_key):
    # 社区1-2 is found from the words, but none of its grids' words: no silent guess.
    assert post(client, o311_key, lat=None, long=None, address_string="社区1-2 幸福路88号").status_code == 201
    assert post(client, o311_key, lat=None, long=None, address_id="S1C2").status_code == 201
    tickets = list(db.session.scalars(select(Ticket).order_by(Ticket.id)))
    assert [(t.grid.code, t.grid_unsure) for t in tickets] == [("S1C2G1", True), ("S1C2G1", True)]


@pytest.mark.parametrize("fields, status, words", [
    ({"api_key": "o311_wrong"}, 403, "api_key"),
    ({"api_key": ""}, 403, "api_key"),
    ({"service_code": ""}, 400, "service_code"),
    ({"service_code": "NOPE"}, 400, "NOPE"),
    ({"description": ""}, 400, "description"),
    ({"description": "x" * 4001}, 400, "4000"),
    ({"lat": "40", "long": "116"}, 400, "40.000000"),
    ({"lat": "25.005", "long": None}, 400, "long"),
    ({"lat": "abc", "long": "1"}, 400, ""),
    ({"lat": None, "long": None}, 400, "address_string"),
    ({"lat": None, "long": None, "address_string": "火星基地"}, 400, "address_string"),
    ({"lat": None, "long": None, "address_id": "S1"}, 400, "address_id"),
    ({"attribute[kind]": "gossip"}, 400, "attribute[kind]"),
    ({"email": "not-an-email"}, 400, "email"),
    ({"phone": "call me"}, 400, "phone"),
    ({"media_url": "javascript:alert(1)"}, 400, "media_url"),
    ({"jurisdiction_id": "elsewhere"}, 400, "jurisdiction_id"),
])
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_bad_posts_answer_the_spec_error_list(app, client, mapped, o311_key, fields, status, words,
                                              fmt):
    app.config["COMMUNITY_OPEN311_JURISDICTION"] = "kunming"
    try:
        if fields.get("api_key") is not None:
            fields = dict(fields, api_key=fields["api_key"] or None)
        answer = post(client, o311_key if "api_key" not in fields else fields.pop("api_key"), fmt,
                      **fields)
    finally:
        app.config["COMMUNITY_OPEN311_JURISDICTION"] = ""
    assert answer.status_code == status, answer.get_data(as_text=True)
    [(code, description)] = errors_of(answer, fmt)
    assert code == status and words in description
    assert db.session.scalar(select(Ticket)) is None


def test_a_revoked_key_is_refused(app, client, mapped, o311_key):
    app.test_cli_runner().invoke(args=["open311", "keys", "revoke", "--name", "test-client"])
    assert post(client, o311_key).status_code == 403


def test_a_photo_upload_is_cleaned_and_kept(client, mapped, o311_key):
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buffer, "JPEG")
    answer = client.post(f"{V2}/requests.json", data={
        "api_key": o311_key, "service_code": "ENV", "description": "照片为证", "lat": "25.005",
        "long": "102.005", "media": (io.BytesIO(buffer.getvalue()), "p.jpg")})
    assert answer.status_code == 201
    assert db.session.scalar(select(TicketPhoto.width)) == 40
    junk = client.post(f"{V2}/requests.json", data={
        "api_key": o311_key, "service_code": "ENV", "description": "x", "lat": "25.005",
        "long": "102.005", "media": (io.BytesIO(b"not an image"), "p.jpg")})
    assert junk.status_code == 400


def test_search_defaults_to_ninety_days_and_filters(client, people, areas, ctx, frozen):
    old = file_ticket(people, areas, now=T0 - timedelta(days=100))
    light = file_ticket(people, areas)
    water = file_ticket(people, areas, category="UTL")
    actions.accept(water, people.grid, NOW)
    actions.resolve(water, people.grid, NOW, "solved", "已办好。")
    db.session.commit()

    def ids(query, fmt="json"):
        return request_ids(client, query, fmt)

    assert ids({}) == [str(water.id), str(light.id)]
    assert ids({}, "xml") == [str(water.id), str(light.id)]
    assert ids({"status": "open"}) == [str(light.id)]
    assert ids({"status": "closed"}, "xml") == [str(water.id)]
    assert ids({"status": "open,closed"}) == [str(water.id), str(light.id)]
    assert ids({"service_code": "UTL"}) == [str(water.id)]
    assert ids({"service_code": "UTL,ELD"}) == [str(water.id), str(light.id)]
    old_range = {"start_date": "2026-08-01T00:00:00Z", "end_date": "2026-08-30T00:00:00+08:00"}
    assert ids(old_range) == [str(old.id)]
    assert ids({"start_date": "2026-08-01T00:00:00Z"}) == [str(old.id)]
    # ids override every other parameter: public numbers, or a filing client's own
    # tracking codes, read like tracking codes (O is 0, any case)
    assert ids({"service_request_id": f"{old.id},{light.tracking_code.lower()}",
                "status": "closed"}) == [str(light.id), str(old.id)]
    closed = client.get(f"{V2}/requests.json?status=closed").get_json()[0]
    assert closed["status_notes"] == "已办结：已解决"


@pytest.mark.parametrize("query, words", [
    ({"start_date": "yesterday"}, "start_date"),
    ({"end_date": "2026-13-01T00:00:00Z"}, "end_date"),
    ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-11-01T00:00:00Z"}, "90"),
    ({"start_date": "2026-11-01T00:00:00Z", "end_date": "2026-10-01T00:00:00Z"}, "start_date"),
    ({"status": "pending"}, "status"),
    ({"start_date": "0001-01-01T00:00:00Z"}, "start_date"),
    ({"page_size": "0"}, "page_size"), ({"page_size": "1001"}, "page_size"),
    ({"page_size": "ten"}, "page_size"), ({"page": "-1"}, "page"),
    ({"page": "201"}, "page"),  # past page × page_size = 10,000 rows: narrow the dates instead
])
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_bad_searches_are_400(client, query, words, fmt):
    answer = client.get(f"{V2}/requests.{fmt}", query_string=query)
    assert answer.status_code == 400
    [(code, description)] = errors_of(answer, fmt)
    assert code == 400 and words in description


def test_search_stops_at_the_row_limit(app, client, people, areas, ctx):
    for _ in range(3):
        file_ticket(people, areas, now=NOW)
    app.config["COMMUNITY_OPEN311_MAX_ROWS"] = 2
    try:
        with time_machine.travel(NOW, tick=False):
            assert len(client.get(f"{V2}/requests.json").get_json()) == 2
    finally:
        app.config["COMMUNITY_OPEN311_MAX_ROWS"] = 1000


def test_unknown_paths_and_formats(client):
    for path, fmt in (("/services.csv", "json"), ("/nothing.xml", "xml"), ("/requests", "json")):
        answer = client.get(V2 + path)
        assert answer.status_code == 404 and errors_of(answer, fmt)[0][0] == 404
    answer = client.delete(f"{V2}/requests.json")
    assert answer.status_code == 405 and errors_of(answer)[0][0] == 405


def test_posting_is_limited_per_key(app, client, mapped, o311_key):
    app.config["COMMUNITY_OPEN311_POST_RATE"] = "2 per minute"
    try:
        statuses = [post(client, o311_key).status_code for _ in range(3)]
        limited = post(client, o311_key, fmt="xml")
    finally:
        app.config["COMMUNITY_OPEN311_POST_RATE"] = "30 per minute"
    assert statuses == [201, 201, 429]
    assert errors_of(limited, "xml")[0][0] == 429
    assert client.get(f"{V2}/services.json").status_code == 200  # reading has its own budget


def test_no_csrf_token_is_needed(client, mapped, o311_key):
    assert post(client, o311_key).status_code == 201  # the suite runs with CSRF on


TEXT = st.text(st.characters(codec="utf-8"), max_size=30)
PARAMS = st.dictionaries(st.sampled_from([
    "service_request_id", "service_code", "start_date", "end_date", "status", "jurisdiction_id",
    "lat", "long", "address_string", "address_id", "description", "email", "phone",
    "attribute[kind]", "attribute[urgency]", "media_url", "first_name", "account_id"]), TEXT,
    max_size=6)


def test_no_input_makes_a_server_error(client, mapped, o311_key):
    """Random parameters (NUL bytes, surrogates, huge dates …) on every endpoint:
    always the spec's error list or a proper answer, never a 500."""
    @given(params=PARAMS, path=TEXT, fmt=st.sampled_from(["json", "xml"]),
           keyed=st.booleans())
    @settings(max_examples=60, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    def run(params, path, fmt, keyed):
        quoted = urllib.parse.quote(path, safe="")
        for url in (f"{V2}/requests.{fmt}", f"{V2}/requests/{quoted}.{fmt}",
                    f"{V2}/services/{quoted}.{fmt}", f"{V2}/tokens/{quoted}.{fmt}"):
            answer = client.get(url, query_string=params)
            assert answer.status_code < 500, (url, params, answer.get_data(as_text=True))
        body = dict(params, **({"api_key": o311_key} if keyed else {}))
        answer = client.post(f"{V2}/requests.{fmt}", data=body)
        assert answer.status_code in (201, 400, 403, 404, 429), answer.get_data(as_text=True)
        if answer.status_code != 201:
            assert errors_of(answer, fmt)[0][0] == answer.status_code

    run()


def test_search_pages_by_page_and_page_size(app, client, people, areas, ctx):
    filed = [file_ticket(people, areas, now=NOW - timedelta(minutes=m)) for m in range(5)]
    db.session.commit()
    newest_first = [str(t.id) for t in filed]  # filed one minute apart, the first the newest

    def ids(query, fmt="json"):
        return request_ids(client, query, fmt)

    app.config["COMMUNITY_OPEN311_PAGE_SIZE"] = 2
    try:
        assert ids({}) == newest_first[:2]  # without page_size: the configured default
        assert ids({"page": "2"}, "xml") == newest_first[2:4]
        assert ids({"page_size": "3", "page": "2"}) == newest_first[3:]
        assert ids({"page_size": "5"}) == newest_first
        assert ids({"page": "9"}) == []
        # a list of ids is answered whole: paging is for searches
        assert len(ids({"service_request_id": ",".join(newest_first)})) == 5
    finally:
        app.config["COMMUNITY_OPEN311_PAGE_SIZE"] = 50

