"""The one way a page writes: run the service call, commit, or roll back and show why.

Services flush, the request commits once (DESIGN.md). A refusal (a DomainError, or
what the caller names in `catch`) leaves nothing written and is shown on the form's
field when a form is given, else flashed as an error; the caller then renders its
page with `outcome.status`.
"""
from dataclasses import dataclass

from flask import flash

from community.core.errors import Conflict, DomainError
from community.core.extensions import db
from community.web.forms import show_error


@dataclass
class Outcome:
    value: object = None  # what the call returned
    refusal: Exception | None = None

    @property
    def ok(self) -> bool:
        return self.refusal is None

    @property
    def status(self) -> int:
        return 200 if self.refusal is None else getattr(self.refusal, "status", 400)


def submit(call, *, form=None, field=None, catch=DomainError, passes=(), show=True, category="error",
           raced=None, undo=None) -> Outcome:
    """Run `call()` and commit.

    form, field: show the refusal on `form` (on the field it names, else `field`);
        without a form it is flashed in `category` (unless `show` is False).
    catch: the refusals shown on the page; anything else rolls back and propagates,
        and so do those in `passes` (a NotFound meant as the 404 page).
    raced: (exception classes, message): a write that lost a race (a unique row, a
        stale version) is refused as Conflict(message), flashed: no field is at fault.
    undo: called before the rollback on any failure (files written outside the database).
    """
    race_types, race_message = raced or ((), None)
    try:
        value = call()
        db.session.commit()
    except Exception as exc:
        if undo is not None:
            undo()
        db.session.rollback()
        lost_race = bool(race_types) and isinstance(exc, race_types)
        if lost_race:
            exc = Conflict(race_message)
        elif isinstance(exc, passes) or not isinstance(exc, catch):
            raise
        if form is not None and not lost_race:
            show_error(form, exc, field)
        elif show:
            flash(str(exc.message), category)
        return Outcome(refusal=exc)
    return Outcome(value=value)
