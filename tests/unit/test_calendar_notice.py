"""Reading a year's holiday schedule: the State Council's notices of several years in
their several wordings, YAML and CSV files, and clear errors that name the line."""
from datetime import date, timedelta
from pathlib import Path

import chinese_calendar
import pytest

from community.sla import notice

NOTICES = Path(__file__).resolve().parents[1] / "data" / "notices"


def text(name: str) -> str:
    return (NOTICES / name).read_text(encoding="utf-8")


def package(year: int):
    return ({d for d in chinese_calendar.holidays if d.year == year},
            {d for d in chinese_calendar.workdays if d.year == year})


def test_the_2026_notice_gives_exactly_chinese_calendars_2026(ctx):
    schedule = notice.parse(text("2026.txt"))
    holidays, working = package(2026)
    assert schedule.year == 2026 and "2026年部分节假日安排" in schedule.title
    assert set(schedule.holidays) == holidays and set(schedule.working) == working
    assert schedule.holidays[date(2026, 2, 15)] == "春节" and schedule.working[date(2026, 9, 20)] == "国庆节"
    assert [p for p in schedule.periods() if p[0] == "国庆节"] == [
        ("国庆节", date(2026, 10, 1), date(2026, 10, 7))]
    assert any("妥善安排好值班" in line for line in schedule.notes)  # prose kept for the preview


@pytest.mark.parametrize("year", [2023, 2024, 2025])
def test_other_years_wordings_give_the_same_working_days(ctx, year):
    """周 or 星期, no weekday notes at all, "与周末连休", ranges across months, a range
    that starts in December of the year before (2023), advice sentences (2024)."""
    schedule = notice.parse(text(f"{year}.txt"))
    day = date(year, 1, 1)
    while day.year == year:
        read = day in schedule.working or (day.weekday() < 5 and day not in schedule.holidays)
        assert read == chinese_calendar.is_workday(day), day
        day += timedelta(days=1)


def test_full_width_digits_and_punctuation_read_the_same(ctx):
    wide = text("2026.txt").translate({ord(str(d)): chr(0xFF10 + d) for d in range(10)})
    assert wide != text("2026.txt")
    schedule = notice.parse(wide)
    assert (set(schedule.holidays), set(schedule.working)) == package(2026)


def _broken(old: str, new: str) -> str:
    original = text("2026.txt")
    assert old in original
    return original.replace(old, new)


@pytest.mark.parametrize("old,new,words", [
    # the notice pasted under the wrong year: its weekday notes do not match
    ("关于2026年", "关于2027年", "星期五，通知写的是星期四"),
    # a holiday line whose dates cannot be read
    ("三、清明节：4月4日（周六）至6日（周一）放假", "三、清明节：四月四日至六日放假", "读不出放假的日期"),
    # a count of days that does not match the range
    ("共9天", "共10天", "共 10 天"),
    # a line with dates that is not a numbered holiday line
    ("五、端午节：", "端午节", "这一行有日期"),
    # a day that does not exist
    ("2月28日（周六）上班", "2月30日（周六）上班", "日期不存在"),
])
def test_a_line_it_cannot_read_is_an_error_naming_the_line(ctx, old, new, words):
    with pytest.raises(notice.ScheduleError) as caught:
        notice.parse(_broken(old, new))
    message = str(caught.value.message)
    assert words in message
    if old != "关于2026年":
        assert message.startswith("第 ") and "行" in message  # the line is named


def test_without_a_title_the_year_must_be_given(ctx):
    body = "\n".join(line for line in text("2026.txt").splitlines() if "通知" not in line)
    with pytest.raises(notice.ScheduleError, match="找不到年份"):
        notice.parse(body)
    assert notice.parse(body, year=2026).holidays == notice.parse(text("2026.txt")).holidays
    with pytest.raises(notice.ScheduleError, match="不符"):
        notice.parse(text("2026.txt"), year=2025)


def test_yaml_and_csv_files(ctx):
    from_yaml = notice.parse(text("2027-example.yaml"), filename="2027.yaml")
    assert from_yaml.year == 2027 and len(from_yaml.holidays) == 11
    assert from_yaml.working == {date(2027, 2, 14): "春节"}
    from_notice = notice.parse(text("2027-example.txt"))
    assert (from_notice.holidays, from_notice.working) == (from_yaml.holidays, from_yaml.working)
    from_csv = notice.parse(text("2027-example.csv"), filename="2027.csv")
    assert from_csv.year == 2027 and set(from_csv.holidays) == {date(2027, 1, d) for d in (1, 2, 3)}
    with pytest.raises(notice.ScheduleError) as caught:
        notice.parse("date,type,name\n2027-01-01,holiday,元旦\n2027-13-01,holiday,\n")
    assert "YYYY-MM-DD" in str(caught.value.message)
    with pytest.raises(notice.ScheduleError) as caught:
        notice.parse("date,type,name\n2027-01-01,day off,元旦\n")
    assert str(caught.value.message).startswith("第 2 行")
    with pytest.raises(notice.ScheduleError, match="本来就是工作日"):
        notice.parse("year: 2027\nworking_days: [2027-01-04]\n")
    with pytest.raises(notice.ScheduleError, match="YAML"):
        notice.parse("year: 2027\nholidays: [2027-01-01\n")
    with pytest.raises(notice.ScheduleError, match="没有内容"):
        notice.parse("  \n")
