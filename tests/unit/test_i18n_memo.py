"""The per-request memo of the translation catalogue (community.web.i18n._translations) and the
cached WTForms catalogue must follow the locale: ?lang=, force_locale, and back."""
from flask import render_template_string
from flask_babel import force_locale

from community.web.i18n import wtforms_translations

URGENT = "{{ _('紧急') }}"


def test_template_strings_follow_the_locale_within_one_request(app):
    with app.app_context(), app.test_request_context("/?lang=en"):
        assert render_template_string(URGENT) == "Urgent"
        with force_locale("zh"):
            assert render_template_string(URGENT) == "紧急"
        assert render_template_string(URGENT) == "Urgent"
    with app.app_context(), app.test_request_context("/?lang=zh"):  # a new request: a new g
        assert render_template_string(URGENT) == "紧急"
        with force_locale("en"):
            assert render_template_string(URGENT) == "Urgent"
        assert render_template_string(URGENT) == "紧急"


def test_wtforms_messages_are_in_the_readers_language(app):
    with app.app_context(), app.test_request_context("/?lang=en"):
        assert wtforms_translations().ugettext("This field is required.") == "This field is required."
    with app.app_context(), app.test_request_context("/?lang=zh"):
        assert wtforms_translations().ugettext("This field is required.") != "This field is required."
    with app.app_context():
        assert wtforms_translations() is None  # outside a request: WTForms' own English


def test_every_form_takes_its_translations_through_the_public_hook(app):
    """No private Flask-WTF function is replaced: each form of the app is a community Form,
    whose Meta.get_translations (WTForms' public API) gives the cached catalogue."""
    from flask_wtf import FlaskForm

    from community.web.forms import Form

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    ours = [c for c in subclasses(FlaskForm) if c.__module__.startswith("community.")]
    assert len(ours) > 10 and all(issubclass(c, Form) for c in ours), [
        c for c in ours if not issubclass(c, Form)]
    from community.auth.forms import LoginForm

    required = "This field is required."
    with app.app_context(), app.test_request_context("/?lang=zh"):
        form = LoginForm(formdata=None)
        assert form.meta.get_translations(form).gettext(required) not in ("", required)  # Chinese
    with app.app_context(), app.test_request_context("/?lang=en"):
        form = LoginForm(formdata=None)
        assert form.meta.get_translations(form).gettext(required) == required


def test_local_time_memo_formats_like_flask_babel(app):
    from datetime import datetime, timezone

    from flask_babel import format_datetime

    from community.web.i18n import _date_format, local_time
    from community.core.timeutil import to_local

    aware = datetime(2026, 11, 26, 23, 5, tzinfo=timezone.utc)
    naive = datetime(2026, 11, 26, 23, 5)
    for lang, short in (("zh", "11月27日 07:05"), ("en", "27 Nov, 07:05")):
        with app.app_context(), app.test_request_context(f"/?lang={lang}"):
            for _ in range(2):  # the second call comes from the memo
                assert local_time(aware, "short") == short
                assert local_time(naive, "short") == short
            for fmt in ("datetime", "date", "yyyy-MM-dd HH:mm"):
                expected = format_datetime(to_local(aware).replace(tzinfo=None), _date_format(fmt),
                                           rebase=False)
                assert local_time(aware, fmt) == expected


def test_a_stored_note_is_its_chinese_whatever_the_language_it_is_written_in(app):
    """tickets.notes keeps the Chinese in `note` from the messages' ids, with no
    force_locale per note (the SLA sweep writes hundreds): the same text as rendering in
    Chinese, while an English reader is being served."""
    from community.tickets.notes import Note

    notes = [Note("escalated", tier="street", reason="需要协调"),
             Note("filed_on_behalf", channel="hotline"), Note("clock", clock="resolve"),
             Note("extension_approved", d=2, r="等配件"), Note("auto_escalate_accept")]
    with app.app_context(), app.test_request_context("/?lang=en"):
        with force_locale("zh"):
            chinese = [note.text() for note in notes]
        assert [note.stored_text() for note in notes] == chinese
        assert chinese[0] == "上报至街道：需要协调" and chinese[2] == "办结期限"
        assert notes[0].text() != chinese[0]  # what the English reader is shown
