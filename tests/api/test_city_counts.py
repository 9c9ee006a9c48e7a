"""The whole city's queue figures (an administrator's /work and /api/v1/queue) are counted
once every COMMUNITY_CITY_COUNTS_SECONDS and shared; a unit's are counted at each page."""
import re
from datetime import timedelta

from community.workqueue.counts import KEY
from community.workqueue.queue import QueueFilter, queue_figures
from tests.factories import T0, file_ticket, login

FROZEN_AT = T0 + timedelta(minutes=30)


def _counts(body: str) -> dict:
    """{label: number} of the state counts and the two lists above the queue."""
    return {label.strip(): int(n) for label, n in re.findall(r">([^<>]+) <strong>(\d+)</strong>", body)}


def test_the_admins_figures_are_shared_for_the_setting_and_say_when(client, app, people, areas, frozen):
    file_ticket(people, areas)
    login(client, "admin")
    body = client.get("/work").get_data(as_text=True)
    assert _counts(body)["待签收"] == 1 and _counts(body)["待我处理"] == 1
    assert "全市的数字每 30 秒统计一次，这些统计于 10:30:00" in body

    file_ticket(people, areas, now=T0 + timedelta(minutes=30))
    frozen.move_to(FROZEN_AT + timedelta(seconds=29))
    body = client.get("/work?view=area").get_data(as_text=True)
    assert _counts(body)["待签收"] == 1  # both lists are the city: one shared set of figures
    assert body.count("/work/tickets/") == 2  # the rows are read at each page
    assert "统计于 10:30:00" in body

    frozen.move_to(FROZEN_AT + timedelta(seconds=30))
    body = client.get("/work").get_data(as_text=True)
    assert _counts(body)["待签收"] == 2 and _counts(body)["辖区内"] == 2
    assert "统计于 10:30:30" in body


def test_a_units_figures_are_counted_at_each_page(client, people, areas, frozen):
    file_ticket(people, areas)
    login(client, "grid")
    assert _counts(client.get("/work").get_data(as_text=True))["待签收"] == 1
    file_ticket(people, areas, now=T0 + timedelta(minutes=30))
    body = client.get("/work").get_data(as_text=True)
    assert _counts(body)["待签收"] == 2
    assert "全市的数字" not in body


def test_the_api_says_when_it_counted_and_shares_the_admins_total(client, app, people, areas, token, frozen):
    file_ticket(people, areas)
    admin, grid = token("admin"), token("grid")
    first = client.get("/api/v1/queue", headers=admin).get_json()
    assert (first["counts"], first["total"]) == ({"submitted": 1}, 1)
    assert first["counted_at"].startswith("2026-11-23T02:30:00")

    file_ticket(people, areas, now=T0 + timedelta(minutes=30))
    frozen.move_to(FROZEN_AT + timedelta(seconds=10))
    shared = client.get("/api/v1/queue", headers=admin).get_json()
    assert (shared["counts"], shared["total"], len(shared["items"])) == ({"submitted": 1}, 1, 2)
    assert shared["counted_at"] == first["counted_at"]
    own = client.get("/api/v1/queue", headers=grid).get_json()
    assert (own["counts"], own["total"]) == ({"submitted": 2}, 2)
    assert own["counted_at"].startswith("2026-11-23T02:30:10")

    # Another filter is another figure: counted now, then shared in its turn.
    assert client.get("/api/v1/queue?state=submitted", headers=admin).get_json()["total"] == 2


def test_a_clock_before_the_shared_figures_counts_again(app, people, areas, ctx):
    file_ticket(people, areas)
    later = queue_figures(people.admin, "todo", T0 + timedelta(hours=1))
    file_ticket(people, areas)
    earlier = queue_figures(people.admin, "todo", T0 + timedelta(minutes=1))
    assert (later.states, earlier.states) == ({"submitted": 1}, {"submitted": 2})
    assert earlier.counted_at == T0 + timedelta(minutes=1) and earlier.shared


def test_unreadable_or_missing_redis_counts_every_time(app, people, areas, ctx, redis_down):
    file_ticket(people, areas)
    assert queue_figures(people.admin, "todo", T0).states == {"submitted": 1}
    file_ticket(people, areas)
    assert queue_figures(people.admin, "todo", T0).states == {"submitted": 2}


def test_a_stored_figure_of_another_shape_is_counted_again(app, people, areas, ctx):
    file_ticket(people, areas)
    app.extensions["redis"].set(KEY + "figures", b"not json", ex=30)
    assert queue_figures(people.admin, "todo", T0).states == {"submitted": 1}


def test_zero_seconds_counts_on_every_page(app, people, areas, ctx, monkeypatch):
    monkeypatch.setitem(app.config, "COMMUNITY_CITY_COUNTS_SECONDS", 0)
    file_ticket(people, areas)
    assert not queue_figures(people.admin, "todo", T0).shared
    file_ticket(people, areas)
    assert queue_figures(people.admin, "todo", T0).states == {"submitted": 2}
    assert app.extensions["redis"].get(KEY + "figures") is None


def test_the_filters_key_names_whose_mine(people):
    assert QueueFilter(mine=True).key(people.admin) != QueueFilter(mine=True).key(people.county)
    assert QueueFilter().key(people.admin) == QueueFilter().key(people.county)
