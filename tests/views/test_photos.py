"""Photos: accepted by content (JPEG, PNG, WebP), re-encoded, refused when forged,
oversized or a decompression bomb, and shown only to those who may see the request."""
import io
import re
import struct
import zlib

import pytest
from PIL import Image

from community.core.extensions import db
from community.tickets.models import Ticket, TicketPhoto
from community.tickets.photos import clean_photo
from community.tickets.services import Filing, submit_ticket
from tests.factories import T0, count, csrf_from, file_ticket, login

# The bombs below are refused on purpose; Pillow warns about them on the way.
pytestmark = pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")


def encoded(fmt: str, mode="RGB", size=(40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (20, 90, 160, 128)[: len(mode)] if mode != "L" else 90).save(out, fmt)
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims `width` x `height`: a decompression bomb's shape,
    without building the pixels in the test."""
    data = bytearray(encoded("PNG", "L", (1, 1)))
    ihdr = 8 + 8  # signature, then the IHDR chunk's length and type
    data[ihdr:ihdr + 8] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[ihdr - 4:ihdr + 13]))
    data[ihdr + 13:ihdr + 17] = struct.pack(">I", crc)
    return bytes(data)


def filing_data(client, areas, photos):
    page = client.get("/")
    body = page.get_data(as_text=True)
    return {"csrf_token": csrf_from(page),
            "submit_token": re.search(r'name="submit_token"[^>]*value="([^"]+)"', body).group(1),
            "kind": "help", "category": "ELD", "text": "门口台阶破损。", "community": str(areas.S1C1.id),
            "photos": [(io.BytesIO(data), name) for name, data in photos]}


@pytest.mark.parametrize("name,data,stored_as", [
    pytest.param("photo.webp", encoded("WEBP"), "image/jpeg", id="webp"),
    pytest.param("photo.png", encoded("PNG"), "image/jpeg", id="png"),
    pytest.param("clear.png", encoded("PNG", "RGBA"), "image/png", id="png-alpha"),  # kept as PNG
    pytest.param("clear.webp", encoded("WEBP", "RGBA"), "image/png", id="webp-alpha"),
    pytest.param("no-extension", encoded("JPEG"), "image/jpeg", id="jpeg-unnamed"),  # content counts
])
def test_webp_and_png_are_accepted_and_reencoded(client, people, areas, name, data, stored_as):
    login(client, "13800000001")
    response = client.post("/", data=filing_data(client, areas, [(name, data)]),
                           content_type="multipart/form-data")
    assert response.status_code == 302
    photo = TicketPhoto.query.one()
    assert photo.content_type == stored_as and (photo.width, photo.height) == (40, 30)
    served = client.get(f"/t/{Ticket.query.one().tracking_code}/photos/{photo.id}")
    assert served.mimetype == stored_as
    with Image.open(io.BytesIO(served.data)) as image:
        assert image.size == (40, 30)


@pytest.mark.parametrize("name,data,message", [
    # 64 million pixels: over the limit, below the size where Pillow itself refuses
    pytest.param("bomb.png", png_claiming(8000, 8000), "尺寸过大", id="bomb"),
    pytest.param("bigger.png", png_claiming(20000, 20000), "尺寸过大", id="big-bomb"),  # Pillow refuses
    pytest.param("cut.jpg", encoded("JPEG", size=(400, 300))[:-400], "不是 JPEG、PNG 或 WebP 图片",
                 id="truncated-jpeg"),
    pytest.param("cut.png", encoded("PNG", size=(400, 300))[:60], "不是 JPEG、PNG 或 WebP 图片",
                 id="truncated-png"),
    pytest.param("anim.gif", encoded("GIF"), "不是 JPEG、PNG 或 WebP 图片", id="gif"),
    pytest.param("page.jpg", b"<html><script>alert(1)</script></html>", "不是 JPEG、PNG 或 WebP 图片",
                 id="html"),
])
def test_bombs_truncated_and_foreign_files_are_refused(client, people, areas, app, name, data, message):
    import os

    files = set(os.listdir(app.config["COMMUNITY_UPLOAD_DIR"]))
    login(client, "13800000001")
    good = ("good.jpg", encoded("JPEG"))
    response = client.post("/", data=filing_data(client, areas, [good, (name, data)]),
                           content_type="multipart/form-data")
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert message in body and name in body
    assert count(Ticket) == 0 and count(TicketPhoto) == 0
    assert set(os.listdir(app.config["COMMUNITY_UPLOAD_DIR"])) == files


def test_bomb_is_refused_before_its_pixels_are_decoded(ctx):
    from community.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as refused:
        clean_photo(io.BytesIO(png_claiming(8000, 8000)), "bomb.png")
    assert refused.value.field == "photos"


@pytest.fixture
def ticket_with_photo(people, areas, ctx, frozen):
    photo = clean_photo(io.BytesIO(encoded("JPEG")), "a.jpg")
    ticket = submit_ticket(Filing(kind="help", category_code="ELD", text="台阶破损。",
                                  community_id=areas.S1C1.id, grid_id=areas.S1C1G1.id,
                                  photos=[photo]), people.resident, T0)
    db.session.commit()
    return ticket, ticket.photos[0]


@pytest.mark.parametrize("who,status", [
    ("grid", 200), ("community", 200), ("street", 200), ("county", 200), ("admin", 200),
    ("13800000001", 200),                       # the resident who filed it
    ("grid2", 404), ("grid3", 404), ("community2", 404), ("street2", 404),
    ("dept", 404), ("13800000002", 404),
])
def test_staff_photo_url_only_for_those_who_may_see_the_request(client, ticket_with_photo, who, status):
    ticket, photo = ticket_with_photo
    login(client, who)
    response = client.get(f"/tickets/{ticket.id}/photos/{photo.id}")
    assert response.status_code == status
    if status == 200:
        assert response.mimetype == "image/jpeg"
        assert "private" in response.headers["Cache-Control"]


def test_staff_photo_url_needs_sign_in_and_the_right_ticket(client, people, areas, ticket_with_photo):
    ticket, photo = ticket_with_photo
    assert client.get(f"/tickets/{ticket.id}/photos/{photo.id}").status_code == 302
    login(client, "admin")
    assert client.get(f"/tickets/{ticket.id + 1}/photos/{photo.id}").status_code == 404
    assert client.get(f"/tickets/{ticket.id}/photos/{photo.id + 1}").status_code == 404


# -- issue 21: decoding is decided from the header; anonymous photos are rated ------------

def _add_info(client, code, photos, text="补充照片"):
    page = client.get(f"/t/{code}")
    return client.post(f"/t/{code}/info", content_type="multipart/form-data", data={
        "csrf_token": csrf_from(page), "text": text,
        "photos": [(io.BytesIO(data), name) for name, data in photos]})


def test_the_probes_bomb_is_refused_on_the_anonymous_form(client, people, areas, frozen):
    """Finding 2: three 154 KB PNGs of 6300 x 6300 through /t/<code>/info."""
    from bench.photo_cost import png_bytes

    bomb = png_bytes(6300, 6300)
    assert 140_000 < len(bomb) < 170_000
    code = file_ticket(people, areas).tracking_code
    answer = _add_info(client, code, [(f"bomb{i}.png", bomb) for i in range(3)])
    assert answer.status_code == 400 and "尺寸过大" in answer.get_data(as_text=True)
    assert count(TicketPhoto) == 0


def test_one_upload_costs_at_most_100_mb_and_a_second_of_cpu():
    """Measured in a fresh process each (bench/photo_cost.py): the bomb is refused from its
    header, a phone's 48 MP JPEG is accepted, decoded at a quarter of its scale."""
    from bench.photo_cost import jpeg_bytes, measure, png_bytes

    bomb = measure("bomb.png", png_bytes(6300, 6300))
    camera = measure("camera.jpg", jpeg_bytes(8000, 6000))
    assert bomb["outcome"].startswith("refused") and bomb["peak_mb"] < 5, bomb
    assert camera["outcome"] == "accepted 2000x1500 image/jpeg", camera
    for cost in (bomb, camera):
        assert cost["peak_mb"] < 100 and cost["cpu_s"] < 1, cost


@pytest.mark.parametrize("mode,size,accepted", [
    ("RGB", (4000, 4000), True),     # 16 MP: the configured limit
    ("RGB", (4001, 4000), False),
    ("RGBA", (2828, 2828), True),    # with alpha, half: worked on premultiplied
    ("RGBA", (4000, 4000), False),
])
def test_lossless_images_are_refused_over_the_pixel_budget(ctx, mode, size, accepted):
    from bench.photo_cost import png_bytes
    from community.core.errors import ValidationFailed

    data = png_bytes(*size, mode)
    if accepted:
        assert max(clean_photo(io.BytesIO(data), "big.png").width, 1) <= 2560
    else:
        with pytest.raises(ValidationFailed, match="尺寸过大"):
            clean_photo(io.BytesIO(data), "big.png")


def test_a_turned_phone_photo_is_kept_upright_without_its_exif(ctx):
    image = Image.new("RGB", (40, 30), (200, 30, 30))
    exif = image.getexif()
    exif[0x0112] = 6  # Orientation: the camera was turned; viewers rotate it 90° clockwise
    exif[0x010F] = "PhoneMaker"
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    photo = clean_photo(io.BytesIO(out.getvalue()), "turned.jpg")
    assert (photo.width, photo.height) == (30, 40)
    with Image.open(io.BytesIO(photo.data)) as kept:
        assert not kept.getexif()


def test_photos_on_the_tracking_page_count_toward_a_stricter_rate(app, client, people, areas, frozen):
    code = file_ticket(people, areas).tracking_code
    limit = int(app.config["COMMUNITY_ANON_PHOTO_RATE"].split()[0])
    three = [(f"p{i}.jpg", encoded("JPEG")) for i in range(3)]
    assert [_add_info(client, code, three).status_code for _ in range(limit // 3)] == [302] * (limit // 3)
    refused = _add_info(client, code, three[:1])
    assert refused.status_code == 429 and refused.headers["Retry-After"]
    assert count(TicketPhoto) == limit
    assert _add_info(client, code, [], text="只补充文字").status_code == 302  # words still welcome
