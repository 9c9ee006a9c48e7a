"""Exports people open in Excel (issue 27 §4): text cells stay text, dates are dates,
one charset, and every header and coded value in the reader's language."""
import io
from datetime import date, datetime, timedelta

from openpyxl import load_workbook

from community.core.extensions import db

from ..factories import H, T0, login
from .test_dashboards import _rated_history

FROZEN_AT = T0 + 4 * H


def _sheet(client, url):
    answer = client.get(url)
    assert answer.status_code == 200
    return load_workbook(io.BytesIO(answer.data)).active


def test_xlsx_writes_formula_like_text_as_text_without_an_apostrophe(app, client, people, areas, frozen):
    ticket = _rated_history(people, areas, app)
    ticket.text = "=1+1"
    db.session.commit()
    login(client, "street")
    sheet = _sheet(client, f"/stats/units/{areas.S1.id}/export/requests.xlsx")
    header = [c.value for c in sheet[1]]
    row = [c for c in sheet[2]]
    text = row[header.index("诉求内容")]
    assert text.value == "=1+1" and text.data_type == "s"  # a string cell, not a formula
    submitted = row[header.index("提交时间")]
    assert isinstance(submitted.value, datetime) and submitted.is_date
    assert row[header.index("级别")].value == "一级问题"
    # CSV has no cell types: there the apostrophe stays the guard.
    csv = client.get(f"/stats/units/{areas.S1.id}/export/requests.csv")
    assert "'=1+1" in csv.get_data().decode("utf-8-sig")


def test_figures_dates_are_date_cells_and_tiers_are_words(app, client, people, areas, frozen):
    _rated_history(people, areas, app)
    login(client, "street")
    sheet = _sheet(client, f"/stats/units/{areas.S1.id}/export/figures.xlsx")
    rows = list(sheet.iter_rows())
    header = [c.value for c in rows[0]]
    first = rows[1]
    assert first[header.index("层级")].value == "街道"
    assert isinstance(first[header.index("开始")].value, (date, datetime)) and first[header.index("开始")].is_date
    assert "filed" not in header and "受理" in header and "非常满意" in header
    assert first[header.index("参与排名")].value in ("是", "否")


def test_exports_in_english_for_an_english_reader(app, client, people, areas, frozen):
    _rated_history(people, areas, app)
    login(client, "street")
    client.get("/?lang=en")
    csv = client.get(f"/stats/units/{areas.S1.id}/export/figures.csv")
    lines = csv.get_data().decode("utf-8-sig").splitlines()
    header, first = lines[0].split(","), lines[1].split(",")
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in lines[0])  # every header in English
    assert first[header.index("Tier")] == "Street"
    requests = client.get(f"/stats/units/{areas.S1.id}/export/requests.csv").get_data().decode("utf-8-sig")
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in requests.splitlines()[0])


def test_csv_content_type_names_its_charset_once(app, client, people, areas, frozen):
    login(client, "street")
    answer = client.get(f"/stats/units/{areas.S1.id}/export/figures.csv")
    assert answer.headers["Content-Type"] == "text/csv; charset=utf-8"


def test_every_guarded_start_stays_plain_text_in_xlsx(app, client, people, areas, frozen):
    ticket = _rated_history(people, areas, app)
    texts = ["-5号楼门口", "+86 138 0000 0000", "@SUM(A1:A9)", "=HYPERLINK(\"http://x\")"]
    login(client, "street")
    for text in texts:
        ticket.text = text
        db.session.commit()
        sheet = _sheet(client, f"/stats/units/{areas.S1.id}/export/requests.xlsx")
        header = [c.value for c in sheet[1]]
        cell = sheet[2][header.index("诉求内容")]
        assert cell.value == text and cell.data_type == "s", text  # no apostrophe, no formula
        assert not any(c.data_type == "f" for c in sheet[2])
        resolved = sheet[2][header.index("办结时间")]
        assert isinstance(resolved.value, datetime) and resolved.is_date


def test_xlsx_in_english_names_levels_tiers_and_headers_in_english(app, client, people, areas, frozen):
    _rated_history(people, areas, app)
    login(client, "street")
    client.get("/?lang=en")
    requests = _sheet(client, f"/stats/units/{areas.S1.id}/export/requests.xlsx")
    header = [c.value for c in requests[1]]
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in "".join(header))
    level = requests[2][header.index("Level")].value
    assert level and not any("\u4e00" <= ch <= "\u9fff" for ch in level)
    figures = _sheet(client, f"/stats/units/{areas.S1.id}/export/figures.xlsx")
    header = [c.value for c in figures[1]]
    assert figures[2][header.index("Tier")].value == "Street"
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in "".join(header))


def test_every_csv_names_its_charset_once(app, client, people, areas, frozen):
    _rated_history(people, areas, app)
    login(client, "street")
    for name in ("figures", "requests", "reasons", "workers"):
        answer = client.get(f"/stats/units/{areas.S1.id}/export/{name}.csv")
        assert answer.status_code == 200, name
        assert answer.headers["Content-Type"] == "text/csv; charset=utf-8", name


def test_the_requests_export_reads_in_batches_up_to_the_cap(app, people, areas, ctx, frozen):
    """A county's export is read, written and sent a batch at a time: the rows come in
    the order filed, the cap counts across batches, and every batch brings its ratings."""
    from community.stats import export
    from ..factories import file_ticket

    codes = [file_ticket(people, areas, now=T0 + n * H).tracking_code for n in range(5)]
    db.session.commit()
    day = T0.date()
    header, batches = export.request_rows(areas.C, day - timedelta(days=1), day + timedelta(days=1),
                                          limit=4, batch=2)
    got = list(batches)
    assert [len(b) for b in got] == [2, 2]  # the cap of 4, in batches of 2
    assert [row[header.index("查询码")] for b in got for row in b] == codes[:4]
