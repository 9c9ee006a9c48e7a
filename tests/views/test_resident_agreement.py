"""Issue 23: the web tracking page and the API follow one rule for the resident's steps.

For each step (withdraw, 重办, rate, add information) and each visitor (the signed-in
resident who filed it, another resident, someone holding only the tracking code, the
request's own grid worker), the step is tried once on the page and once through the
API, each on a fresh request in the right state. Both must accept it or both refuse
it, and each must offer it (the page's form, the API's `actions` / `can_rate`)
exactly when it accepts it. DOMAIN.md "好差评": the tracking code alone reads and adds
information; withdrawing, reopening and rating a request filed from an account need
that account, so an anonymous cancel is refused on the page as in the API.

The API has no code holders: a caller is someone signed in, and it sees only what is
theirs. Adding information by the code alone is therefore the page's alone; through
the API only the filer adds information (tests/security/access_matrix.py).
"""
from datetime import timedelta

import pytest
from sqlalchemy import select

from community.api.tokens import create_token
from community.core.extensions import db
from community.ratings.models import Rating
from community.tickets.models import Ticket
from tests.factories import csrf_from, login
from tests.factories import resolved_ticket
from tests.factories import T0, file_ticket

FROZEN_AT = T0 + timedelta(days=1)  # after the 办结 at T0 + 2 h, inside every window

VISITORS = ("owner", "other_resident", "code_holder", "handler")
LOGINS = {"owner": "13800000001", "other_resident": "13800000002", "handler": "grid"}
PEOPLE = {"owner": "resident", "other_resident": "resident2", "handler": "grid"}

# step: (needs a resolved request, page path, page body, API path, API body, the request
# afterwards when the step was taken)
STEPS = {
    "cancel": (False, "cancel", {"reason": "已自行解决"}, "cancel", {"reason": "已自行解决"},
               lambda t: t.state == "cancelled"),
    "reopen": (True, "reopen", {"reason": "没有修好"}, "reopen", {"reason": "没有修好"},
               lambda t: t.state == "reopened"),
    "rate": (True, "rate", {"solved": "yes", "level": "satisfied"}, "rating",
             {"solved": "yes", "level": "satisfied"},
             lambda t: db.session.scalar(select(Rating.id).where(Rating.ticket_id == t.id)) is not None),
}


def _ticket(people, areas, resolved):
    return resolved_ticket(people, areas) if resolved else file_ticket(people, areas)


def _web(app, visitor):
    client = app.test_client()
    if visitor in LOGINS:
        login(client, LOGINS[visitor])
    return client


def _api_headers(people, visitor):
    if visitor == "code_holder":
        return {}
    _row, secret = create_token(getattr(people, PEOPLE[visitor]), FROZEN_AT)
    db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


def _taken(ticket_id, check):
    db.session.expire_all()
    return check(db.session.get(Ticket, ticket_id))


def _web_offers(page, code, step):
    html = page.get_data(as_text=True)
    if step == "rate":  # its first question is asked by a GET form on the page itself
        return 'name="solved" value="yes"' in html
    action = {"cancel": f"/t/{code}/cancel", "reopen": f"/t/{code}/reopen",
              "add_info": f"/t/{code}/info"}[step]
    return f'action="{action}"' in html


def _api_offers(client, headers, code, step):
    if step == "rate":
        answer = client.get(f"/api/v1/requests/{code}/rating", headers=headers)
        return answer.status_code == 200 and answer.get_json().get("can_rate") is True
    answer = client.get(f"/api/v1/requests/{code}", headers=headers)
    name = {"add_info": "info"}.get(step, step)
    return answer.status_code == 200 and name in answer.get_json()["actions"]


@pytest.mark.parametrize("visitor", VISITORS)
@pytest.mark.parametrize("step", list(STEPS))
def test_page_and_api_agree(app, people, areas, frozen, step, visitor):
    resolved, page_path, page_body, api_path, api_body, taken = STEPS[step]

    on_page = _ticket(people, areas, resolved)
    client = _web(app, visitor)
    page = client.get(f"/t/{on_page.tracking_code}")
    page_offers = _web_offers(page, on_page.tracking_code, step)
    answer = client.post(f"/t/{on_page.tracking_code}/{page_path}",
                         data={**page_body, "csrf_token": csrf_from(page)})
    page_took = _taken(on_page.id, taken)
    assert answer.status_code < 400 if page_took else answer.status_code in (403, 409), answer.status_code

    by_api = _ticket(people, areas, resolved)
    headers = _api_headers(people, visitor)
    api = app.test_client()
    api_offers = _api_offers(api, headers, by_api.tracking_code, step)
    answer = api.post(f"/api/v1/requests/{by_api.tracking_code}/{api_path}", json=api_body,
                      headers=headers)
    api_took = _taken(by_api.id, taken)
    assert answer.status_code < 400 if api_took else answer.status_code in (401, 403, 404, 409)

    assert page_took == api_took, f"{step} by {visitor}: page {page_took}, API {api_took}"
    assert page_took == (visitor == "owner"), f"{step} by {visitor}"
    assert page_offers == page_took and api_offers == api_took, (page_offers, api_offers)


def test_the_filer_adds_information_on_the_page_and_through_the_api(app, people, areas, frozen):
    for via in ("page", "api"):
        ticket = file_ticket(people, areas)
        before = len(ticket.events)
        if via == "page":
            client = _web(app, "owner")
            page = client.get(f"/t/{ticket.tracking_code}")
            assert _web_offers(page, ticket.tracking_code, "add_info")
            client.post(f"/t/{ticket.tracking_code}/info",
                        data={"text": "三楼也不亮。", "csrf_token": csrf_from(page)})
        else:
            headers = _api_headers(people, "owner")
            assert _api_offers(app.test_client(), headers, ticket.tracking_code, "add_info")
            app.test_client().post(f"/api/v1/requests/{ticket.tracking_code}/info",
                                   json={"text": "三楼也不亮。"}, headers=headers)
        db.session.expire_all()
        assert len(db.session.get(Ticket, ticket.id).events) == before + 1, via
