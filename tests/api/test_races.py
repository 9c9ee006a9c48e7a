"""Writes that can race answer the loser 409, never 500 (issue 20): two requests at
once, each in its own thread and connection, held together just before the write.
Runs on both backends; on PostgreSQL the second waits on the first's row lock."""
import threading
from datetime import timedelta

import time_machine

from community.auth.models import Role, User
from community.core.extensions import db
from community.ratings.models import Appeal, Rating, RectificationCase
from tests import factories
from tests.factories import (
    T0, count, csrf_from, file_ticket, login, resolved_daiban, resolved_ticket, texted_link)

from .conftest import bearer

NOW = T0 + timedelta(hours=5)


def held_together(monkeypatch, target: str):
    """Make the first call of `target` in each of two threads wait for the other, so
    both have read the same state before either writes."""
    module_name, name = target.rsplit(".", 1)
    module = __import__(module_name, fromlist=[name])
    original = getattr(module, name)
    barrier, seen = threading.Barrier(2, timeout=20), threading.local()

    def wrapper(*args, **kwargs):
        result = original(*args, **kwargs)
        if not getattr(seen, "done", False):
            seen.done = True
            barrier.wait()
        return result
    monkeypatch.setattr(module, name, wrapper)


def at_once(app, *calls):
    """Run each call in its own thread; their answers' status codes, sorted."""
    statuses, errors = [], []

    def run(call):
        try:
            with app.app_context(), time_machine.travel(NOW, tick=False):
                statuses.append(call().status_code)
        except Exception as exc:  # a thread's failure fails the test below
            errors.append(exc)
    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    return sorted(statuses)


def test_two_api_ratings_at_once_one_201_one_409(app, people, areas, token, monkeypatch):
    ticket = resolved_ticket(people, areas)
    code, resident = ticket.tracking_code, token("resident")
    held_together(monkeypatch, "community.ratings.services.rateable_resolution")

    def post(level):
        return lambda: app.test_client().post(
            f"/api/v1/requests/{code}/rating", headers=resident,
            json={"solved": "no", "level": level, "reasons": ["too_slow"]})
    assert at_once(app, post("dissatisfied"), post("very_dissatisfied")) == [201, 409]
    db.session.remove()
    assert count(Rating) == 1 and count(RectificationCase) == 1


def test_two_api_accepts_at_once_one_200_one_409(app, people, areas, monkeypatch):
    colleague = User(username="grid-b", role=Role.GRID, unit=areas.S1C1G1,
                     password_hash=factories.hashed_password(), created_at=T0)
    db.session.add(colleague)
    db.session.commit()
    ticket = file_ticket(people, areas)
    from community.api.tokens import create_token

    headers = []
    for user in (people.grid, colleague):
        _row, secret = create_token(user, T0)
        headers.append(bearer(secret))
    db.session.commit()
    held_together(monkeypatch, "community.workqueue.actions.require_handler")
    code = ticket.tracking_code
    calls = [lambda h=h: app.test_client().post(f"/api/v1/requests/{code}/accept", headers=h)
             for h in headers]
    assert at_once(app, *calls) == [200, 409]


def test_the_same_link_used_twice_at_once(app, people, areas, monkeypatch):
    ticket = resolved_daiban(people, areas)
    link = texted_link(ticket)
    clients = [app.test_client(), app.test_client()]
    with time_machine.travel(NOW, tick=False):  # the pages' CSRF tokens, at the same moment
        tokens = [csrf_from(c.get(f"/r/{link}")) for c in clients]
    held_together(monkeypatch, "community.ratings.services.rateable_resolution")
    calls = [lambda c=c, t=t: c.post(f"/r/{link}/rate", data={"csrf_token": t, "solved": "yes",
                                                              "level": "satisfied"})
             for c, t in zip(clients, tokens)]
    assert at_once(app, *calls) == [302, 409]
    db.session.remove()
    assert count(Rating) == 1


def test_two_appeals_of_one_rating_at_once(app, people, areas, monkeypatch):
    from community.ratings import services

    colleague = User(username="grid-b", role=Role.GRID, unit=areas.S1C1G1,
                     password_hash=factories.hashed_password(), created_at=T0)
    db.session.add(colleague)
    ticket = resolved_ticket(people, areas)
    rating = services.rate(ticket, people.resident, T0 + timedelta(hours=3), "no", "very_dissatisfied",
                           reasons=["attitude"])
    db.session.commit()
    rating_id = rating.id
    clients = [app.test_client(), app.test_client()]
    with time_machine.travel(NOW, tick=False):
        for client, name in zip(clients, ("grid", "grid-b")):
            login(client, name)
        tokens = [csrf_from(c.get("/ratings")) for c in clients]
    held_together(monkeypatch, "community.ratings.appeals.is_appellant")
    calls = [lambda c=c, t=t: c.post(f"/ratings/{rating_id}/appeal",
                                     data={"csrf_token": t, "reason": "与本次办理无关"})
             for c, t in zip(clients, tokens)]
    assert at_once(app, *calls) == [302, 409]
    db.session.remove()
    assert count(Appeal) == 1
