"""Reading a year's holiday schedule: the State Council's notice, or a YAML/CSV of dates.

The notice (国务院办公厅关于YYYY年部分节假日安排的通知) lists each holiday on a line
of its own: "一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）上班。"
Years word it differently (周 or 星期, ranges across months, "与周末连休", "补休", a
year written out for a range that starts in December, full-width punctuation), and
all of them are read here. What cannot be read is an error naming its line, never a
silent skip: a holiday line whose dates do not parse, a weekday note that does not
match its date (a notice pasted under the wrong year), a count of days that does not
match its range. Lines of prose (the preamble, the closing paragraph, advice such as
"鼓励各单位……") are kept as notes and shown in the preview.
"""
import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta

import yaml
from flask_babel import gettext as _

from community.core.errors import ValidationFailed


@dataclass
class Schedule:
    year: int
    title: str = ""
    holidays: dict[date, str] = field(default_factory=dict)  # day off → holiday name
    working: dict[date, str] = field(default_factory=dict)  # adjusted working day → name
    notes: list[str] = field(default_factory=list)  # lines read as prose, for the preview

    def periods(self) -> list[tuple[str, date, date]]:
        """Consecutive holiday days under one name: (name, first, last), in date order."""
        out = []
        for day in sorted(self.holidays):
            name = self.holidays[day]
            if out and out[-1][0] == name and out[-1][2] + timedelta(days=1) == day:
                out[-1] = (name, out[-1][1], day)
            else:
                out.append((name, day, day))
        return out


class ScheduleError(ValidationFailed):
    def __init__(self, message: str, line_no: int | None = None, line: str = ""):
        if line_no is not None:
            message = _("第 %(n)s 行：%(problem)s（%(line)s）", n=line_no, problem=message,
                        line=line[:60])
        super().__init__(message, field="text")


TITLE = re.compile(r"关于\s*(\d{4})\s*年.{0,6}节假日安排的通知")
ITEM = re.compile(r"^\s*[一二三四五六七八九十]+\s*[、.]\s*(?P<name>[^:]{1,20}?)\s*:\s*(?P<body>.+)$")
SIGNED = re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日$")  # the date under the signature
DATE = re.compile(r"(?:(?P<y>\d{4})\s*年\s*)?(?:(?P<m>\d{1,2})\s*月\s*)?(?P<d>\d{1,2})\s*日"
                  r"(?:\s*\((?P<note>[^)]*)\))?")
RANGE_WORDS = {"至", "-", "~", "到", "—"}
WEEKDAY = re.compile(r"(?:周|星期|礼拜)([一二三四五六日天])")
WEEKDAYS = "一二三四五六日"
COUNT = re.compile(r"(?:共|放假)\s*(\d+)\s*天")
ADVICE = ("鼓励", "提倡", "请", "各地区", "各单位", "节假日期间")
HOLIDAY_WORDS = ("放假", "休假", "连休", "补休", "调休")


def _fold(text: str) -> str:
    """Full-width digits and punctuation as ASCII (（）：，～ → ():,~), one char for one."""
    out = []
    for ch in text:
        if ch in "—－–":
            out.append("—" if ch == "—" else "-")
            continue
        folded = unicodedata.normalize("NFKC", ch)
        out.append(folded if len(folded) == 1 else ch)
    return "".join(out)


def parse(text: str, year: int | None = None, filename: str = "") -> Schedule:
    """A schedule from any of the accepted forms, recognised by its content."""
    text = (text or "").lstrip("\ufeff").strip()
    if not text:
        raise ScheduleError(_("没有内容：请粘贴通知全文，或上传 YAML/CSV 文件。"))
    first = text.splitlines()[0].strip().lower()
    if filename.endswith((".yaml", ".yml")) or first.startswith(("year:", "holidays:", "{")):
        return parse_yaml(text, year)
    if filename.endswith(".csv") or (first.startswith("date") and "," in first):
        return parse_csv(text, year)
    return parse_notice(text, year)


def parse_notice(text: str, year: int | None = None) -> Schedule:
    lines = [_fold(line).strip() for line in text.splitlines()]
    title = ""
    for line in lines:
        match = TITLE.search(line)
        if match:
            title, found = line, int(match.group(1))
            if year is not None and year != found:
                raise ScheduleError(_("通知标题是 %(found)s 年，与所选的 %(year)s 年不符。",
                                      found=found, year=year))
            year = found
            break
    if year is None:
        raise ScheduleError(_("找不到年份：请连同标题一起粘贴通知，或填写年份。"))
    schedule = Schedule(year=year, title=title)
    items = 0
    for number, line in enumerate(lines, start=1):
        if not line:
            continue
        item = ITEM.match(line)
        if item:
            items += 1
            _read_item(schedule, item.group("name").strip(), item.group("body"), number, line)
        elif line == title or SIGNED.match(line) or not DATE.search(line):
            schedule.notes.append(line)
        elif line.startswith(ADVICE):
            schedule.notes.append(line)
        else:
            raise ScheduleError(_("这一行有日期，但不是“一、节日：……”的格式，无法读取。"), number, line)
    if not items:
        raise ScheduleError(_("没有读到任何节假日：每个节日应单独一行，如“一、元旦：1月1日放假”。"))
    _check_whole(schedule)
    return schedule


def _read_item(schedule: Schedule, name: str, body: str, number: int, line: str) -> None:
    for sentence in re.split(r"[。;；]", body):
        sentence = sentence.strip(" ,")
        if not sentence:
            continue
        if sentence.startswith(ADVICE):
            schedule.notes.append(sentence)
            continue
        dates = _dates(sentence, schedule.year, number, line)
        if "上班" in sentence:
            if not dates:
                raise ScheduleError(_("“上班”前没有日期。"), number, line)
            for first, last in dates:
                for day in _span(first, last):
                    _put(schedule.working, day, name, schedule.holidays, number, line)
        elif any(word in sentence for word in HOLIDAY_WORDS) or dates:
            if not dates:
                if "不调休" in sentence or "不补休" in sentence:
                    continue
                raise ScheduleError(_("读不出放假的日期。"), number, line)
            days = [day for first, last in dates for day in _span(first, last)]
            count = COUNT.search(sentence)
            if count and int(count.group(1)) != len(days):
                raise ScheduleError(_("写的是共 %(n)s 天，日期却是 %(m)s 天。", n=count.group(1),
                                      m=len(days)), number, line)
            for day in days:
                _put(schedule.holidays, day, name, schedule.working, number, line)
        else:
            schedule.notes.append(sentence)


def _dates(sentence: str, year: int, number: int, line: str) -> list[tuple[date, date]]:
    """The sentence's dates as (first, last) spans: "1月1日至3日" is one span of three days."""
    found, month, spans = [], None, []
    for match in DATE.finditer(sentence):
        the_year = int(match.group("y")) if match.group("y") else year
        month = int(match.group("m")) if match.group("m") else month
        if month is None:
            raise ScheduleError(_("日期缺少月份。"), number, line)
        try:
            day = date(the_year, month, int(match.group("d")))
        except ValueError:
            raise ScheduleError(_("日期不存在：%(m)s月%(d)s日。", m=month, d=match.group("d")),
                                number, line) from None
        _check_weekday(day, match.group("note") or "", number, line)
        found.append((day, match.start(), match.end()))
    index = 0
    while index < len(found):
        day, _start, end = found[index]
        if index + 1 < len(found) and sentence[end:found[index + 1][1]].strip() in RANGE_WORDS:
            last = found[index + 1][0]
            if last < day or (last - day).days > 40:
                raise ScheduleError(_("日期范围不对：%(a)s 至 %(b)s。", a=day, b=last), number, line)
            spans.append((day, last))
            index += 2
        else:
            spans.append((day, day))
            index += 1
    return spans


def _check_weekday(day: date, note: str, number: int, line: str) -> None:
    match = WEEKDAY.search(note)
    if match:
        written = WEEKDAYS.index("日" if match.group(1) == "天" else match.group(1))
        if written != day.weekday():
            raise ScheduleError(_("%(day)s 是星期%(real)s，通知写的是星期%(written)s：年份对吗？",
                                  day=f"{day.month}月{day.day}日", real=WEEKDAYS[day.weekday()],
                                  written=WEEKDAYS[written]), number, line)


def _span(first: date, last: date):
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def _put(target: dict, day: date, name: str, other: dict, number: int | None, line: str) -> None:
    if day in other:
        raise ScheduleError(_("%(day)s 既是放假又是上班。", day=day.isoformat()), number, line)
    target[day] = name


def _check_whole(schedule: Schedule) -> None:
    low, high = date(schedule.year - 1, 12, 1), date(schedule.year + 1, 1, 31)
    for day in list(schedule.holidays) + list(schedule.working):
        if not low <= day <= high:
            raise ScheduleError(_("%(day)s 不在 %(year)s 年内。", day=day.isoformat(),
                                  year=schedule.year))
    for day in schedule.working:
        if day.weekday() < 5:
            raise ScheduleError(_("%(day)s 本来就是工作日，不需要调休上班。", day=day.isoformat()))


# --- files of dates -----------------------------------------------------------------

def parse_yaml(text: str, year: int | None = None) -> Schedule:
    """year: 2027 / title: … / holidays: [2027-01-01, {date: …, name: 元旦},
    {from: 2027-02-06, to: 2027-02-12, name: 春节}] / working_days: [2027-02-14]"""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ScheduleError(_("YAML 格式有误。"), mark.line + 1 if mark else None) from None
    if not isinstance(data, dict):
        raise ScheduleError(_("YAML 应是一个含 year、holidays、working_days 的映射。"))
    schedule = Schedule(year=_year_of(data.get("year"), year), title=str(data.get("title") or ""))
    for key, target, other in (("holidays", schedule.holidays, schedule.working),
                               ("working_days", schedule.working, schedule.holidays)):
        entries = data.get(key) or []
        if not isinstance(entries, list):
            raise ScheduleError(_("%(key)s 应是一个列表。", key=key))
        for entry in entries:
            first, last, name = _entry(entry, key)
            for day in _span(first, last):
                _put(target, day, name, other, None, str(entry))
    _check_whole(schedule)
    return schedule


def _year_of(value, given: int | None) -> int:
    try:
        year = int(value) if value is not None else given
    except (TypeError, ValueError):
        year = None
    if year is None or not 2000 <= year <= 2100:
        raise ScheduleError(_("请写明年份（year）。"))
    if given is not None and given != year:
        raise ScheduleError(_("文件写的是 %(found)s 年，与所选的 %(year)s 年不符。", found=year, year=given))
    return year


def _entry(entry, key) -> tuple[date, date, str]:
    if isinstance(entry, dict):
        name = str(entry.get("name") or "")
        if "date" in entry:
            first = last = _as_date(entry["date"], key)
        else:
            first, last = _as_date(entry.get("from"), key), _as_date(entry.get("to"), key)
    else:
        first = last = _as_date(entry, key)
        name = ""
    if last < first:
        raise ScheduleError(_("%(key)s 里的日期范围颠倒了：%(a)s 至 %(b)s。", key=key, a=first, b=last))
    return first, last, name


def _as_date(value, key) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ScheduleError(_("%(key)s 里有读不出的日期：%(value)s（应为 YYYY-MM-DD）。",
                              key=key, value=value)) from None


def parse_csv(text: str, year: int | None = None) -> Schedule:
    """date,type,name: type is holiday (放假) or working (上班)."""
    rows = list(csv.DictReader(io.StringIO(text)))
    if not rows or "date" not in rows[0] or "type" not in rows[0]:
        raise ScheduleError(_("CSV 第一行应为 date,type,name。"))
    days = []
    for number, row in enumerate(rows, start=2):
        raw = ",".join(str(v or "") for v in row.values())
        day = _as_date(row.get("date"), "date") if row.get("date") else None
        kind = (row.get("type") or "").strip().lower()
        if day is None or kind not in ("holiday", "working", "放假", "上班"):
            raise ScheduleError(_("应为 日期,holiday 或 working,名称。"), number, raw)
        days.append((day, kind in ("working", "上班"), (row.get("name") or "").strip(), number, raw))
    years = {day.year for day, *_rest in days}
    schedule = Schedule(year=_year_of(year if year else (years.pop() if len(years) == 1 else None), year))
    for day, working, name, number, raw in days:
        if working:
            _put(schedule.working, day, name, schedule.holidays, number, raw)
        else:
            _put(schedule.holidays, day, name, schedule.working, number, raw)
    _check_whole(schedule)
    return schedule
