"""Exports written as they are sent (community.stats.sheets): the bytes of the first rows
leave before the later rows are read, and the file is the same as one built at once."""
import csv
import io
from datetime import date, datetime

from openpyxl import load_workbook

from community.stats import sheets

HEADER = ["编号", "提交时间", "日期", "内容", "数"]


def rows(batch: int, size: int):
    return [[f"T{batch}-{n}", datetime(2026, 12, 1, 8, batch, n % 60), date(2026, 12, batch % 28 + 1),
             ["=1+1", "-5号楼门口", "<b>&amp;</b>", "换行\n第二行", "控制\x01字符"][n % 5], batch * 10 + n]
            for n in range(size)]


class Counted:
    """Batches handed out one at a time, counting how many were taken."""

    def __init__(self, count, size):
        self.count, self.size, self.taken = count, size, 0

    def __iter__(self):
        for batch in range(self.count):
            self.taken += 1
            yield rows(batch, self.size)


def test_xlsx_leaves_in_pieces_as_the_batches_are_read():
    batches = Counted(40, 500)
    pieces = sheets.xlsx_chunks(HEADER, batches, "requests")
    first = next(pieces)
    assert first.startswith(b"PK") and batches.taken == 0  # sent before any row was read
    sizes, taken = [len(first)], []
    for piece in pieces:
        sizes.append(len(piece))
        taken.append(batches.taken)
    assert batches.taken == 40 and len(sizes) > 10  # out as it is written, not at the end
    assert taken[0] < 40 and max(sizes) < sum(sizes) / 5  # no piece holds the file


def test_xlsx_reads_back_as_the_rows_were_given():
    data = b"".join(sheets.xlsx_chunks(HEADER, Counted(3, 7), "requests"))
    book = load_workbook(io.BytesIO(data))
    sheet = book["requests"]
    got = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert got[0] == HEADER
    expected = [row for b in range(3) for row in rows(b, 7)]
    assert len(got) == 1 + len(expected)
    for have, want in zip(got[1:], expected):
        assert have[0] == want[0] and have[1] == want[1] and have[4] == want[4]
        assert have[2] == datetime.combine(want[2], datetime.min.time())  # a date cell
        assert have[3] == want[3].replace("\x01", "")  # text as text; no XML control character
    cells = {c.coordinate: c for row in sheet.iter_rows(min_row=2, max_row=6) for c in row}
    assert cells["D2"].value == "=1+1" and cells["D2"].data_type == "s"  # never a formula
    assert cells["D3"].value == "-5号楼门口"  # no apostrophe added
    assert cells["B2"].is_date and cells["B2"].number_format == "yyyy-mm-dd hh:mm"
    assert cells["C2"].is_date and cells["C2"].number_format == "yyyy-mm-dd"


def test_an_empty_export_is_a_workbook_with_its_header():
    book = load_workbook(io.BytesIO(b"".join(sheets.xlsx_chunks(HEADER, [], "figures"))))
    assert [list(r) for r in book["figures"].iter_rows(values_only=True)] == [HEADER]


def test_csv_leaves_in_pieces_with_one_bom():
    batches = Counted(3, 5)
    pieces = sheets.csv_chunks(HEADER, batches)
    first = next(pieces)
    assert first.startswith("\ufeff".encode()) and batches.taken == 0
    text = (first + b"".join(pieces)).decode("utf-8")
    assert text.count("\ufeff") == 1
    got = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert got[0] == HEADER and len(got) == 1 + 15 and got[1][0] == "T0-0"
