"""/admin/calendar: the years loaded, a year's schedule imported (previewed, then
confirmed), and the admin's overrides of single days; /admin: the admin's pages."""
import calendar as month_calendar

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.file import FileField
from wtforms import DateField, HiddenField, IntegerField, StringField, TextAreaField
from wtforms.validators import Length, NumberRange, Optional

from community.auth.models import Role
from community.core.errors import DomainError, ValidationFailed
from community.web.forms import Form, show_error
from community.web.submit import submit
from community.core.timeutil import local_zone, utcnow

from . import notice, services, yearbook
from community.auth.decorators import admin_required

from .views import bp

TEXT_MAX = 200_000  # a notice is a few kilobytes; a file of dates not much more


class ImportForm(Form):
    text = TextAreaField(_l("通知全文，或 YAML/CSV 内容"), validators=[Optional()],
                         description=_l("粘贴国务院办公厅关于某年部分节假日安排的通知（连同标题），"
                                        "或每行一个日期的 CSV（date,type,name）、YAML。"))
    year = IntegerField(_l("年份（通知带标题时可不填）"), validators=[Optional(), NumberRange(2000, 2100)])
    upload = FileField(_l("或上传文件（.txt / .yaml / .csv）"))


class OverrideForm(Form):
    day = DateField(_l("日期"))
    working = StringField()
    note = StringField(_l("说明"), validators=[Optional(), Length(max=200)])
    remove = StringField()


class ConfirmForm(Form):
    text = HiddenField()
    year = HiddenField()
    filename = HiddenField()


def _read(form: ImportForm) -> tuple[str, str]:
    """The text to import and its file name, from the upload or else the text box."""
    upload = form.upload.data
    if upload and getattr(upload, "filename", ""):
        raw = upload.read(TEXT_MAX + 1)
        try:
            return raw.decode("utf-8-sig"), upload.filename
        except UnicodeDecodeError:
            raise notice.ScheduleError(_("文件不是 UTF-8 文本。")) from None
    return form.text.data or "", ""


def _year(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _page(import_form, status=200, preview=None, confirm=None):
    today = utcnow().astimezone(local_zone()).date()
    return render_template(
        "sla/calendar.html", years=yearbook.years(), missing=yearbook.missing(utcnow()),
        today=today, overrides=services.list_overrides(), import_form=import_form,
        override_form=OverrideForm(formdata=None),
        preview=preview, confirm=confirm, months=_months(preview) if preview else None), status


def _months(schedule: notice.Schedule):
    """Weeks of each month of the year, for the preview's calendar (Monday first)."""
    cal = month_calendar.Calendar(firstweekday=0)
    return [(month, cal.monthdatescalendar(schedule.year, month)) for month in range(1, 13)]


@bp.get("/calendar")
@admin_required
def calendar():
    return _page(ImportForm())


@bp.post("/calendar/preview")
@admin_required
def calendar_preview():
    form = ImportForm()
    if not form.validate_on_submit():
        return _page(form, 422)
    try:
        text, filename = _read(form)
        if len(text) > TEXT_MAX:
            raise notice.ScheduleError(_("内容太长。"))
        schedule = notice.parse(text, form.year.data, filename)
    except DomainError as exc:
        show_error(form, exc, default_field="text")
        return _page(form, exc.status)
    confirm = ConfirmForm(formdata=None, text=text, year=str(schedule.year), filename=filename)
    return _page(ImportForm(formdata=None), preview=schedule, confirm=confirm)


@bp.post("/calendar/import")
@admin_required
def calendar_import():
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _page(ImportForm(), 422)
    retry = ImportForm(formdata=None, text=form.text.data)
    done = submit(lambda: yearbook.load_schedule(
        notice.parse(form.text.data or "", _year(form.year.data), form.filename.data or ""),
        current_user, utcnow(), source="import", text=form.text.data or ""), form=retry, field="text")
    if not done.ok:
        return _page(retry, done.status)
    loaded = done.value
    counts = loaded.recomputed
    flash(_("已导入 %(year)s 年的节假日安排。重新计算了 %(n)s 件诉求的办结期限（%(moved)s 件调整），"
            "%(cases)s 个整改和 %(tasks)s 个协办期限，撤销 %(withdrawn)s 条已不成立的超时。",
            year=loaded.year, n=counts["tickets"], moved=counts["moved"], cases=counts["cases"],
            tasks=counts["assist_tasks"], withdrawn=counts["breaches_withdrawn"]))
    return redirect(url_for("sla_admin.calendar"))


@bp.post("/calendar")
@admin_required
def calendar_override():
    """One day made a working day or a holiday by hand (or the edit removed); the
    deadlines that count that day are recomputed."""
    form = OverrideForm()

    def override():
        if not form.validate_on_submit():
            raise ValidationFailed(_("请按 年-月-日 填写日期。"), field="day")
        day = form.day.data
        if form.remove.data:
            services.remove_override(current_user, day)
        else:
            if form.working.data not in ("1", "0"):
                raise ValidationFailed(_("请选择工作日或休息日。"), field="working")
            services.set_override(current_user, utcnow(), day, form.working.data == "1", form.note.data)
        return yearbook.on_override_changed(day, current_user, utcnow())

    done = submit(override)
    if not done.ok:
        return _page(ImportForm(formdata=None), done.status)
    flash(_("已保存。重新计算了 %(n)s 件诉求的办结期限。", n=done.value["tickets"]))
    return redirect(url_for("sla_admin.calendar"))


@bp.get("")
@admin_required
def index():
    """The admin's landing page: every admin page, and what needs doing."""
    return render_template("sla/admin_index.html", missing=yearbook.missing(utcnow()))


@bp.app_context_processor
def _calendar_banner():
    """For admins on every page: the years whose holidays nobody has loaded yet."""
    def calendar_missing() -> list[int]:
        if not getattr(current_user, "is_authenticated", False) or current_user.role != Role.ADMIN:
            return []
        return yearbook.missing(utcnow())
    return {"calendar_missing": calendar_missing}
