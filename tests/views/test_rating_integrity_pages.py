"""Issue 20 through the pages: the four attacks refused with nothing written, the
texted link on the phone's page, the staff's filing screen, 差评 reasons on the case,
the dashboard and the export, the 办结 form, 回访 by a unit that did not handle it."""
import io
import re
from datetime import timedelta

from PIL import Image

from community.core.extensions import db
from community.ratings.models import Appeal, Rating, RatingReason, RectificationCase
from community.ratings import services
from community.tickets.models import Ticket, TicketEvent
from community.workqueue import actions, routing
from tests.factories import (
    ELDER_PHONE, H, T0, count, csrf_from, daiban, file_ticket, login, resolved_daiban,
    resolved_ticket, texted_link, texts_to)

FROZEN_AT = T0 + 5 * H


def _token(client, url="/"):
    return csrf_from(client.get(url))


def _written():
    return (count(Rating), count(RectificationCase), count(RatingReason), count(TicketEvent),
            count(Appeal))


# -- the four attacks ----------------------------------------------------------------------

def test_attack_1_signed_out_rating_of_a_daiban_is_refused(client, people, areas, frozen):
    ticket = resolved_daiban(people, areas)
    url = f"/t/{ticket.tracking_code}"
    page = client.get(url).get_data(as_text=True)
    assert 'name="level"' not in page and "/rate" not in page and "短信中" in page
    before = _written()
    response = client.post(f"{url}/rate", data={"csrf_token": _token(client, url), "solved": "yes",
                                                "level": "very_satisfied"})
    assert response.status_code == 403 and "短信" in response.get_data(as_text=True)
    login(client, "grid")  # the grid worker signed in: no better
    response = client.post(f"{url}/rate", data={"csrf_token": _token(client, url), "solved": "yes",
                                                "level": "very_satisfied"})
    assert response.status_code == 403
    assert _written() == before


def test_attack_2_anonymous_cancel_and_reopen_are_refused(client, people, areas, frozen):
    waiting, done = file_ticket(people, areas), resolved_ticket(people, areas)
    before = _written()
    for ticket, step in ((waiting, "cancel"), (done, "reopen")):
        url = f"/t/{ticket.tracking_code}"
        page = client.get(url).get_data(as_text=True)
        assert f"{url}/{step}" not in page  # not offered to the code alone
        response = client.post(f"{url}/{step}", data={"csrf_token": _token(client, url),
                                                     "reason": "不要了"})
        assert response.status_code == 403
    assert _written() == before
    assert db.session.get(Ticket, waiting.id).state == "submitted"
    assert db.session.get(Ticket, done.id).state == "resolved"


def _street_handled_bad_rating(people, areas):
    ticket = file_ticket(people, areas)
    routing.escalate(ticket, people.grid, T0 + H, "需要街道", "street")
    actions.accept(ticket, people.street, T0 + 2 * H)
    actions.resolve(ticket, people.street, T0 + 3 * H, "solved", "街道已处理。")
    rating = services.rate(ticket, people.resident, T0 + 4 * H, "no", "very_dissatisfied",
                           reasons=["buck_passing"])
    db.session.commit()
    return rating


def test_attack_3_a_street_cannot_uphold_its_own_appeal(app, client, people, areas, frozen):
    rating = _street_handled_bad_rating(people, areas)
    login(client, "street")
    response = client.post(f"/ratings/{rating.id}/appeal",
                           data={"csrf_token": _token(client, "/ratings"), "reason": "恶意评价"})
    assert response.status_code == 302
    appeal = db.session.scalar(db.select(Appeal))
    assert appeal.judge == "county"
    page = client.get("/ratings/appeals").get_data(as_text=True)
    assert f"/ratings/appeals/{appeal.id}/decide" not in page
    response = client.post(f"/ratings/appeals/{appeal.id}/decide",
                           data={"csrf_token": _token(client, "/ratings"), "uphold": "1"})
    assert response.status_code == 403
    db.session.expire_all()
    assert not db.session.get(Rating, rating.id).excluded and appeal.state == "pending"
    county = app.test_client()
    login(county, "county")
    assert f"/ratings/appeals/{appeal.id}/decide" in county.get("/ratings/appeals").get_data(as_text=True)
    response = county.post(f"/ratings/appeals/{appeal.id}/decide",
                           data={"csrf_token": _token(county, "/ratings"), "uphold": "1", "note": "无关"})
    assert response.status_code == 302
    db.session.expire_all()
    rating = db.session.get(Rating, rating.id)
    assert rating.excluded and rating.case.state == "closed"


# -- the texted link on the phone --------------------------------------------------------

def test_the_link_page_rates_a_bad_rating_with_reasons_once(client, people, areas, frozen):
    ticket = resolved_daiban(people, areas)
    token = texted_link(ticket)
    page = client.get(f"/r/{token}")
    assert page.status_code == 200 and page.headers["Referrer-Policy"] == "no-referrer"
    step2 = client.get(f"/r/{token}?solved=no").get_data(as_text=True)
    assert 'name="level"' in step2
    csrf = csrf_from(client.get(f"/r/{token}"))
    asked = client.post(f"/r/{token}/rate", data={"csrf_token": csrf, "solved": "no",
                                                  "level": "dissatisfied", "comment": "还在漏"})
    body = asked.get_data(as_text=True)
    assert asked.status_code == 200 and 'name="reasons"' in body and count(Rating) == 0
    short = client.post(f"/r/{token}/rate", data={"csrf_token": csrf, "solved": "no",
                                                  "level": "dissatisfied", "reasons": "other"})
    assert short.status_code == 422 and count(Rating) == 0  # 其他 needs its words
    done = client.post(f"/r/{token}/rate", data={"csrf_token": csrf, "solved": "no", "level": "dissatisfied",
                                                 "comment": "还在漏", "reasons": ["not_solved", "too_slow"]})
    assert done.status_code == 302
    rating = db.session.scalar(db.select(Rating))
    assert (rating.channel, rating.reason_codes) == ("link", ["not_solved", "too_slow"])
    again = client.post(f"/r/{token}/rate", data={"csrf_token": csrf, "solved": "yes",
                                                  "level": "satisfied"})
    assert again.status_code == 403 and "用过" in again.get_data(as_text=True)
    assert client.get(f"/r/{token}").status_code == 403
    assert count(Rating) == 1


def test_an_expired_link_page_is_refused(client, people, areas, frozen):
    ticket = resolved_daiban(people, areas)
    token = texted_link(ticket)
    frozen.move_to(T0 + 2 * H + timedelta(days=7, minutes=1))
    response = client.get(f"/r/{token}")
    assert response.status_code == 403 and "过期" in response.get_data(as_text=True)
    assert client.get("/r/not-a-link").status_code == 404


def test_the_filing_link_cancels(client, people, areas, frozen):
    ticket = daiban(people, areas)
    token = texted_link(ticket)
    page = client.get(f"/r/{token}").get_data(as_text=True)
    assert f"/r/{token}/cancel" in page
    response = client.post(f"/r/{token}/cancel", data={"csrf_token": csrf_from(client.get(f"/r/{token}")),
                                                       "reason": "邻居帮忙修好了"})
    assert response.status_code == 302
    assert db.session.get(Ticket, ticket.id).state == "cancelled"


# -- staff filing: the code on screen, the link by text, no rating control ------------------

def test_staff_filing_shows_the_code_and_texts_the_link(client, people, areas, frozen):
    login(client, "grid")
    page = client.get("/")
    body = page.get_data(as_text=True)
    data = {"csrf_token": csrf_from(page),
            "submit_token": re.search(r'name="submit_token"[^>]*value="([^"]+)"', body).group(1),
            "kind": "help", "category": "ELD", "text": "独居老人电话求助，家里水管漏水。",
            "community": str(areas.S1C1.id), "grid": str(areas.S1C1G1.id), "address": "1号楼",
            "contact_name": "王奶奶", "contact_phone": ELDER_PHONE, "channel": "grid_worker"}
    response = client.post("/", data=data)
    ticket = db.session.scalar(db.select(Ticket))
    screen = client.get(response.headers["Location"]).get_data(as_text=True)
    assert ticket.tracking_code in screen and 'name="level"' not in screen
    assert any(ticket.tracking_code in t and "/r/" in t for t in texts_to(ELDER_PHONE))
    actions.accept(ticket, people.grid, T0 + H)
    actions.resolve(ticket, people.grid, T0 + 2 * H, "solved", "已修好。")
    db.session.commit()
    staff_view = client.get(f"/t/{ticket.tracking_code}").get_data(as_text=True)
    assert ticket.tracking_code in staff_view
    assert 'id="rate"' not in staff_view and 'name="level"' not in staff_view
    assert "评价" in texts_to(ELDER_PHONE)[-2] + texts_to(ELDER_PHONE)[-1]


# -- reasons on the case, the dashboard and the export -------------------------------------

def test_reasons_show_on_the_case_the_dashboard_and_the_export(client, people, areas, frozen):
    ticket = resolved_ticket(people, areas)
    rating = services.rate(ticket, people.resident, T0 + 3 * H, "no", "very_dissatisfied",
                           reasons=["attitude", "other"], other="说话很冲")
    db.session.commit()
    login(client, "street")
    case = client.get(f"/ratings/cases/{rating.case.id}").get_data(as_text=True)
    assert "态度不好" in case and "说话很冲" in case
    dash = client.get(f"/stats/units/{areas.S1.id}").get_data(as_text=True)
    assert "差评原因" in dash and "态度不好" in dash
    export = client.get(f"/stats/units/{areas.S1.id}/export/reasons.csv").get_data(as_text=True)
    rows = [line.split(",") for line in export.strip().splitlines()]
    header, street = rows[0], next(r for r in rows if r[0] == "街道1")
    assert street[header.index("态度不好")] == "1" and street[header.index("其他")] == "1"
    assert street[header.index("办理太慢")] == "0"


# -- the 办结 form ---------------------------------------------------------------------------

def _jpeg():
    out = io.BytesIO()
    Image.new("RGB", (60, 40), (10, 90, 200)).save(out, "JPEG")
    return out.getvalue()


def test_the_resolve_form_preselects_nothing_and_needs_a_reply(client, people, areas, frozen):
    ticket = file_ticket(people, areas)
    actions.accept(ticket, people.grid, T0 + H)
    db.session.commit()
    login(client, "grid")
    page = client.get(f"/work/tickets/{ticket.id}").get_data(as_text=True)
    form = re.search(r'<form[^>]*/resolve".*?</form>', page, re.S).group(0)
    assert 'name="result"' in form and "checked" not in form and 'type="file"' in form
    token = csrf_from(client.get("/work"))
    refused = client.post(f"/work/tickets/{ticket.id}/resolve", data={"csrf_token": token, "result": "solved"})
    assert refused.status_code == 422 and db.session.get(Ticket, ticket.id).state == "accepted"
    photos = [(io.BytesIO(_jpeg()), "a.jpg"), (io.BytesIO(_jpeg()), "b.jpg")]
    done = client.post(f"/work/tickets/{ticket.id}/resolve", content_type="multipart/form-data",
                       data={"csrf_token": token, "result": "solved", "note": "已更换灯泡。", "photos": photos})
    assert done.status_code == 302
    ticket = db.session.get(Ticket, ticket.id)
    resolve = next(e for e in ticket.events if e.action == "resolve")
    assert len(resolve.photos) == 2
    tracking = client.get(f"/t/{ticket.tracking_code}").get_data(as_text=True)
    for photo in resolve.photos:
        assert f"/t/{ticket.tracking_code}/photos/{photo.id}" in tracking
        image = client.get(f"/t/{ticket.tracking_code}/photos/{photo.id}")
        assert image.status_code == 200 and b"Exif" not in image.get_data()


# -- 回访 through the staff page -----------------------------------------------------------

def test_callback_rating_on_the_staff_page(app, client, people, areas, frozen):
    ticket = resolved_daiban(people, areas)
    login(client, "grid")
    page = client.get(f"/work/tickets/{ticket.id}").get_data(as_text=True)
    assert "callback-rating" not in page
    refused = client.post(f"/work/tickets/{ticket.id}/callback-rating",
                          data={"csrf_token": csrf_from(client.get("/work")), "solved": "yes",
                                "level": "very_satisfied"})
    assert refused.status_code == 403 and count(Rating) == 0
    county = app.test_client()
    login(county, "county")
    page = county.get(f"/work/tickets/{ticket.id}").get_data(as_text=True)
    assert "callback-rating" in page and ELDER_PHONE not in page
    revealed = county.post(f"/work/tickets/{ticket.id}/reveal",
                           data={"csrf_token": csrf_from(county.get("/work"))})
    assert ELDER_PHONE in revealed.get_data(as_text=True)  # to phone her back; the reveal is logged
    assert db.session.scalar(db.select(TicketEvent).where(TicketEvent.action == "contact_revealed")
                             .order_by(TicketEvent.id.desc())).actor_id == people.county.id
    done = county.post(f"/work/tickets/{ticket.id}/callback-rating",
                       data={"csrf_token": csrf_from(county.get("/work")), "solved": "partly",
                             "level": "basic", "comment": "老人说还行"})
    assert done.status_code == 302
    rating = db.session.scalar(db.select(Rating))
    assert rating.channel == "callback" and rating.recorded_by_id == people.county.id
    listing = county.get("/ratings").get_data(as_text=True)
    assert "回访" in listing and people.county.display_name in listing


def test_the_appeals_page_is_for_staff_only(client, people, areas):
    """Issue 30's survey reads /ratings/appeals as every role: residents and strangers are refused."""
    assert client.get("/ratings/appeals").status_code in (302, 401)
    login(client, "13800000001")
    assert client.get("/ratings/appeals").status_code == 404  # staff_required hides staff pages
