"""Open311 contract fixes (issue 27 §3): a posted photo shows as media_url, every
validation problem comes back at once, 405 names the allowed methods."""
import io

import pytest

from PIL import Image
from sqlalchemy import select

from community.core.extensions import db
from community.tickets.models import Ticket

from .test_open311 import V2, post


def _jpeg():
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buffer, "JPEG")
    return io.BytesIO(buffer.getvalue())


def test_a_posted_photo_appears_as_media_url_when_public(client, mapped, o311_key):
    shown = post(client, o311_key, media=(_jpeg(), "p.jpg"), **{"attribute[text_public]": "true"})
    assert shown.status_code == 201
    code = shown.get_json()[0]["service_request_id"]
    body = client.get(f"{V2}/requests/{code}.json").get_json()[0]
    url = body["media_url"]
    assert url and url.startswith("http") and "/open311/v2/media/" in url
    ticket = db.session.scalar(select(Ticket))
    assert ticket.tracking_code not in url  # the resident's key is never in a public address
    photo = client.get(url.split("localhost", 1)[1])
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg"
    assert Image.open(io.BytesIO(photo.data)).size == (40, 30)
    # A forged or altered address names nothing.
    assert client.get(f"{V2}/media/forged.jpg").status_code == 404
    # Without the resident's consent, neither the address nor the photo.
    ticket.text_public = False
    db.session.commit()
    assert client.get(f"{V2}/requests/{code}.json").get_json()[0]["media_url"] is None
    assert client.get(url.split("localhost", 1)[1]).status_code == 404


def test_every_validation_problem_is_answered_at_once(client, mapped, o311_key):
    answer = post(client, o311_key, description="", email="not-an-email", phone="call me",
                  media_url="javascript:alert(1)", **{"attribute[kind]": "gossip"})
    assert answer.status_code == 400
    problems = answer.get_json()
    said = " ".join(p["description"] for p in problems)
    assert len(problems) >= 5 and all(p["code"] == 400 for p in problems)
    for field in ("description", "email", "phone", "media_url", "attribute[kind]"):
        assert field in said
    assert db.session.scalar(select(Ticket)) is None
    # A field problem and an unknown service code together: both named.
    both = post(client, o311_key, service_code="NOPE", email="x").get_json()
    assert {"NOPE" in p["description"] or "email" in p["description"] for p in both} == {True}
    assert len(both) == 2


def test_xml_lists_every_problem_too(client, mapped, o311_key):
    answer = post(client, o311_key, "xml", email="x", phone="y")
    assert answer.status_code == 400 and answer.data.count(b"<error>") == 2


def test_open311_checks_a_filing_with_the_apis_own_fields():
    from community.api.schemas import FilingIn
    from community.open311.schemas import SHARED, Open311PostIn

    ours, theirs = Open311PostIn().fields, FilingIn().fields
    by_key = {field.data_key or name: field for name, field in ours.items()}
    for open311_name, api_name in SHARED.items():
        mine, api = by_key[open311_name], theirs[api_name]
        assert type(mine) is type(api), open311_name
        assert [repr(v) for v in mine.validators] == [repr(v) for v in api.validators], open311_name


@pytest.mark.parametrize("api_field, open311_field, bad", [
    ("text", "description", "灯坏了\x01"),
    ("text", "description", "长" * 4001),
    ("category", "service_code", "TOOLONGCODE"),
    ("kind", "attribute[kind]", "gossip"),
    ("urgency", "attribute[urgency]", "panic"),
    ("contact_phone", "phone", "call me"),
    ("address", "address_string", "门" * 201),
    ("lat", "lat", "200"),
])
def test_open311_refuses_what_the_api_refuses(client, people, mapped, o311_key, token, api_field,
                                               open311_field, bad):
    from .test_requests import FILING

    value = float(bad) if api_field == "lat" else bad
    api = client.post("/api/v1/requests", json=FILING | {api_field: value, "long": 102.005}
                      if api_field == "lat" else FILING | {api_field: value}, headers=token("grid")
                      if api_field == "contact_phone" else token("resident"))
    assert api.status_code == 422 and api_field in api.get_json()["error"]["fields"], api.get_json()
    extra = {"long": "102.005"} if open311_field == "lat" else {}
    o311 = post(client, o311_key, **{open311_field: bad}, **extra)
    assert o311.status_code == 400
    assert any(p["description"].startswith(f"{open311_field}:") for p in o311.get_json()), o311.get_json()
    assert db.session.scalar(select(Ticket)) is None
