"""Spreadsheets written as they are sent: CSV and a one-sheet XLSX, in chunks.

A county's export at its row cap took seconds before the first byte and held every row
and the whole workbook in memory (openpyxl builds the file before it can be sent). Here
the rows come from an iterator of batches and each batch leaves as bytes: the XLSX is a
zip written to a sink that is emptied after every batch (zipfile writes to a stream it
cannot seek with data descriptors), so memory holds one batch, whatever the row count.

Cells: text is always a text cell (a formula-like text stays text, no apostrophe added);
numbers are numbers; dates and times are date cells (styles 1 and 2); None is empty.
"""
import csv
import io
import re
import zipfile
from datetime import date, datetime
from xml.sax.saxutils import escape

EXCEL_EPOCH = datetime(1899, 12, 30)
# XML 1.0 has no place for these; the inputs refuse them, older rows may hold them.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>
</Types>"""
ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>
</Relationships>"""
WORKBOOK = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets>
</workbook>"""
WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>
</Relationships>"""
# Style 1: date and time, style 2: date.
STYLES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm"/><numFmt numFmtId="165" formatCode="yyyy-mm-dd"/></numFmts>
<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>
<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
</styleSheet>"""
SHEET_START = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
               '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
SHEET_END = "</sheetData></worksheet>"


def _column(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def _text(value: str) -> str:
    return escape(NOT_XML.sub("", value))


def _cell(ref: str, value) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        value = str(value)
    if isinstance(value, datetime):
        serial = (value.replace(tzinfo=None) - EXCEL_EPOCH).total_seconds() / 86400
        return f'<c r="{ref}" s="1"><v>{serial!r}</v></c>'
    if isinstance(value, date):
        return f'<c r="{ref}" s="2"><v>{(value - EXCEL_EPOCH.date()).days}</v></c>'
    if isinstance(value, (int, float)):
        return f'<c r="{ref}"><v>{value!r}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{_text(str(value))}</t></is></c>'


def _row(number: int, values) -> str:
    cells = "".join(_cell(f"{_column(i)}{number}", v) for i, v in enumerate(values))
    return f'<row r="{number}">{cells}</row>'


class _Sink(io.RawIOBase):
    """What zipfile writes, kept until the next batch is sent (it cannot seek here, so
    it writes each entry's sizes after the entry)."""

    def __init__(self):
        self.chunks: list[bytes] = []
        self.written = 0

    def writable(self):
        return True

    def write(self, data):
        self.chunks.append(bytes(data))
        self.written += len(data)
        return len(data)

    def tell(self):
        return self.written

    def take(self) -> bytes:
        out, self.chunks = b"".join(self.chunks), []
        return out


def xlsx_chunks(header: list, batches, title: str):
    """The workbook's bytes, one piece per batch of rows (`batches`: an iterable of
    lists of rows)."""
    sink = _Sink()
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_DEFLATED) as book:
        for name, text in (("[Content_Types].xml", CONTENT_TYPES), ("_rels/.rels", ROOT_RELS),
                           ("xl/workbook.xml", WORKBOOK.format(name=escape(title[:31], {'"': "&quot;"}))),
                           ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS), ("xl/styles.xml", STYLES)):
            book.writestr(name, text)
        with book.open("xl/worksheets/sheet1.xml", mode="w", force_zip64=True) as sheet:
            sheet.write((SHEET_START + _row(1, header)).encode("utf-8"))
            yield sink.take()
            number = 1
            for batch in batches:
                lines = []
                for row in batch:
                    number += 1
                    lines.append(_row(number, row))
                sheet.write("".join(lines).encode("utf-8"))
                piece = sink.take()
                if piece:  # the compressor keeps small batches until it has a block
                    yield piece
            sheet.write(SHEET_END.encode("utf-8"))
    yield sink.take()


def csv_chunks(header: list, batches, value=lambda v: v):
    """UTF-8 with a BOM (so Excel reads it as UTF-8), one piece per batch of rows."""
    out = io.StringIO()
    writer = csv.writer(out)
    out.write("\ufeff")
    writer.writerow([value(v) for v in header])
    yield out.getvalue().encode("utf-8")
    for batch in batches:
        out.seek(0)
        out.truncate()
        writer.writerows([[value(v) for v in row] for row in batch])
        yield out.getvalue().encode("utf-8")
