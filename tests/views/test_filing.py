"""A resident files a request from the web form; bad input changes nothing."""
import io
import re

import pytest
from PIL import Image

from community.tickets.models import Ticket, TicketEvent, TicketPhoto
from tests.factories import count, csrf_from, login


def jpeg_with_gps(size=(64, 48)) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (25.0, 2.0, 30.0)}  # GPS block
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def form_data(client, areas, **extra):
    page = client.get("/")
    token = csrf_from(page)
    submit_token = re.search(r'name="submit_token"[^>]*value="([^"]+)"', page.get_data(as_text=True))
    data = {"csrf_token": token, "submit_token": submit_token.group(1), "kind": "help",
            "category": "ELD", "text": "家里老人需要助餐服务。", "community": str(areas.S1C1.id),
            "address": "2号楼3单元"}
    data.update(extra)
    return data


def test_resident_files_and_is_routed_to_the_grid(client, people, areas):
    login(client, "13800000001")
    response = client.post("/", data=form_data(client, areas))
    assert response.status_code == 302
    ticket = Ticket.query.one()
    assert response.headers["Location"].endswith(f"/t/{ticket.tracking_code}")
    assert ticket.state == "submitted"
    assert ticket.grid_id == areas.S1C1G2.id  # "2号楼" matches the second grid
    assert ticket.handling_unit_id == areas.S1C1G2.id and ticket.tier == "grid" and ticket.level == 1
    assert ticket.resident_id == people.resident.id and ticket.channel == "web"
    assert ticket.contact_phone == "13800000001"
    assert [e.action for e in ticket.events] == ["submit"]


def test_category_default_tier_picks_the_office(client, people, areas):
    login(client, "13800000001")
    client.post("/", data=form_data(client, areas, category="PRP"))  # community by default
    ticket = Ticket.query.one()
    assert ticket.handling_unit_id == areas.S1C1.id and ticket.tier == "community"


def test_photos_are_reencoded_without_exif(client, people, areas, app):
    login(client, "13800000001")
    data = form_data(client, areas)
    data["photos"] = [(io.BytesIO(jpeg_with_gps()), "a.jpg"), (io.BytesIO(jpeg_with_gps()), "b.jpg")]
    response = client.post("/", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    photos = TicketPhoto.query.all()
    assert len(photos) == 2
    ticket = Ticket.query.one()
    served = client.get(f"/t/{ticket.tracking_code}/photos/{photos[0].id}")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    with Image.open(io.BytesIO(served.data)) as image:
        assert not image.getexif()
        assert image.info.get("exif") is None


@pytest.mark.parametrize("field,value,message", [
    ("text", "", "请填写诉求内容"),
    ("text", "字" * 4001, "不能超过 4000 字"),
    ("category", "XXX", "请选择有效的诉求类别"),
    ("community", "999999", "请选择有效的社区"),
])
def test_bad_fields_are_refused_and_nothing_is_saved(client, people, areas, field, value, message):
    login(client, "13800000001")
    response = client.post("/", data=form_data(client, areas, **{field: value}))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert count(Ticket) == 0 and count(TicketEvent) == 0


def test_php_file_named_jpg_is_refused(client, people, areas, app):
    import os
    login(client, "13800000001")
    files_before = set(os.listdir(app.config["COMMUNITY_UPLOAD_DIR"]))
    data = form_data(client, areas)
    data["photos"] = [(io.BytesIO(jpeg_with_gps()), "ok.jpg"),
                      (io.BytesIO(b"<?php system($_GET['c']); ?>"), "shell.jpg")]
    response = client.post("/", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "shell.jpg" in response.get_data(as_text=True)
    assert count(Ticket) == 0 and count(TicketPhoto) == 0
    assert set(os.listdir(app.config["COMMUNITY_UPLOAD_DIR"])) == files_before


def test_six_megabyte_photo_is_refused(client, people, areas):
    login(client, "13800000001")
    data = form_data(client, areas)
    data["photos"] = [(io.BytesIO(jpeg_with_gps() + b"\0" * (6 * 1024 * 1024)), "big.jpg")]
    response = client.post("/", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "超过 5 MB" in response.get_data(as_text=True)
    assert count(Ticket) == 0 and count(TicketPhoto) == 0


def test_four_photos_are_refused(client, people, areas):
    login(client, "13800000001")
    data = form_data(client, areas)
    data["photos"] = [(io.BytesIO(jpeg_with_gps()), f"{i}.jpg") for i in range(4)]
    response = client.post("/", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "最多上传 3 张照片" in response.get_data(as_text=True)
    assert count(Ticket) == 0


def test_missing_csrf_token_is_refused(client, people, areas):
    login(client, "13800000001")
    data = form_data(client, areas)
    del data["csrf_token"]
    response = client.post("/", data=data)
    assert response.status_code == 400
    assert "页面已过期" in response.get_data(as_text=True)
    assert count(Ticket) == 0


def test_double_tap_files_once(client, people, areas):
    login(client, "13800000001")
    data = form_data(client, areas)
    first = client.post("/", data=data)
    second = client.post("/", data=data)
    assert count(Ticket) == 1
    assert first.headers["Location"] == second.headers["Location"]
    assert "不会重复提交" in client.get(second.headers["Location"]).get_data(as_text=True)


def test_error_message_follows_the_form_language(client, people, areas):
    login(client, "13800000001")
    client.get("/?lang=en")
    response = client.post("/", data=form_data(client, areas, text=""))
    assert response.status_code == 400
    assert "Please describe your request" in response.get_data(as_text=True)


def test_anonymous_visitor_is_sent_to_sign_in(client, areas):
    page = client.get("/")
    assert page.status_code == 200 and "110" in page.get_data(as_text=True)
    response = client.post("/", data={"text": "x"})
    assert response.status_code in (302, 400)
    assert count(Ticket) == 0


def test_form_shows_the_emergency_notice(client, people, areas):
    login(client, "13800000001")
    body = client.get("/").get_data(as_text=True)
    assert "110" in body and "119" in body and "120" in body


def test_a_failed_filing_shows_every_error_at_once_and_says_the_photos_are_gone(client, people, areas):
    """Issue 24: one error per attempt, and the chosen photos silently forgotten."""
    login(client, "13800000001")
    data = form_data(client, areas, category="", text="  ", community="")
    data["photos"] = [(io.BytesIO(jpeg_with_gps()), "a.jpg"), (io.BytesIO(b"not an image"), "b.jpg")]
    response = client.post("/", data=data, content_type="multipart/form-data")
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    for message in ("b.jpg", "请选择有效的诉求类别", "请填写诉求内容", "请选择有效的社区"):
        assert message in body, message
    assert 'id="photos-lost"' in body and "2 张照片没有保存" in body
    assert count(Ticket) == 0 and count(TicketPhoto) == 0


def test_the_service_reports_every_problem_of_a_filing(ctx, people, areas):
    from community.core.errors import ValidationFailed
    from community.tickets.services import Filing, check_filing

    with pytest.raises(ValidationFailed) as refused:
        check_filing(Filing(kind="help", category_code="", text="", community_id=None))
    fields = [refused.value.field] + [f for f, _ in refused.value.others]
    assert fields == ["category", "text", "community"]
