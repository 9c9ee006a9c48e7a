"""Notes that were still plain Chinese text (merge, 转派, 召集, 协办评分, 回访评价, the
holiday recompute) are message ids with parameters too (issue 24): stored with the
same Chinese text as before, shown in the reader's language."""
import re
from datetime import timedelta

import pytest
from flask_babel import force_locale

from community.core.extensions import db
from community.tickets.notes import Note
from community.workqueue import actions, assist, routing
from tests.factories import login
from tests.factories import T0, file_ticket

CJK = re.compile(r"[\u4e00-\u9fff]")
# key → (parameters, the Chinese text written before the key existed)
SAMPLES = {
    "merged_into": ({}, "与相同问题的诉求合并办理，进度见本页。"),
    "merged_duplicate": ({"code": "AB12CD34"}, "合并了重复诉求 AB12CD34"),
    "reassigned": ({"name": "grid2"}, "转派给 grid2"),
    "summoned": ({"names": "D1", "reason": "x"}, "召集：D1。x"),
    "assist_scored": ({"dept": "D1", "score": 4}, "D1 协办评分：4 分"),
    "callback_rating": ({"name": "ops"}, "回访评价：ops 记录"),
    "callback_rating_note": ({"name": "ops", "note": "ok"}, "回访评价：ops 记录。ok"),
    "deadline_recomputed": ({"old": "2027-01-04 09:00", "new": "2027-01-05 09:00"},
                            "节假日安排更新，办结期限重新计算：2027-01-04 09:00 → 2027-01-05 09:00"),
    "deadline_recomputed_provisional": ({"old": "a", "new": "b"}, "节假日安排更新，办结期限重新计算：a → b（暂定）"),
    "deadline_moved": ({"new": "b"}, "因节假日安排，办结期限调整为 b。"),
    "breach_withdrawn": ({"new": "b"}, "新的办结期限 b 尚未到，撤销已记录的超时。"),
    "case_recomputed": ({"start": "a", "close": "b"}, "节假日安排更新，差评整改期限重新计算：回访 a，结案 b"),
    "assist_recomputed": ({"due": "b"}, "节假日安排更新，协办期限重新计算：b"),
}


@pytest.mark.parametrize("key", sorted(SAMPLES))
def test_each_key_keeps_its_chinese_text_and_has_english(app, key):
    params, chinese = SAMPLES[key]
    with app.test_request_context():
        note = Note(key, **params)
        assert note.stored_text() == chinese
        with force_locale("en"):
            english = note.text()
        assert english and not CJK.search(english), english


def test_a_merge_reads_in_english(client, people, areas, ctx, frozen):
    now = T0 + timedelta(minutes=5)
    target = file_ticket(people, areas, now=T0)
    duplicate = file_ticket(people, areas, now=T0)
    actions.accept(target, people.grid, now)
    routing.merge(duplicate, people.grid, now, target.tracking_code)
    db.session.commit()
    keys = {e.action: e.note_key for e in list(target.events) + list(duplicate.events)}
    assert keys["merge"] in ("merged_into", "merged_duplicate")
    login(client, "grid")
    english = client.get(f"/work/tickets/{target.id}?lang=en").get_data(as_text=True)
    assert duplicate.tracking_code in english and "合并了重复诉求" not in english
    chinese = client.get(f"/work/tickets/{target.id}?lang=zh").get_data(as_text=True)
    assert f"合并了重复诉求 {duplicate.tracking_code}" in chinese


def test_a_summons_and_its_score_are_keyed(people, areas, ctx, frozen):
    ticket = file_ticket(people, areas, grid=areas.S1C1G1, now=T0)
    actions.accept(ticket, people.grid, T0)
    routing.escalate(ticket, people.grid, T0, "需要街道", to_tier="street")
    actions.accept(ticket, people.street, T0)
    [task] = assist.summon(ticket, people.street, T0, [areas.D1.id], "需要城管")
    db.session.commit()
    [summon] = [e for e in ticket.events if e.action == "summon"]
    assert summon.note_key == "summoned" and summon.note == "召集：城管局。需要城管"
