"""Resident pages: file a request (/), follow it (/t/<code>), my requests."""
import secrets

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from community.areas import geo
from community.areas import maps as area_maps
from community.areas.models import UnitKind
from community.areas.services import list_units
from community.core import signals
from community.core.errors import NotAllowed, NotFound, ValidationFailed
from community.core.extensions import db, limiter
from community.areas.services import (communities_around, community_choices, community_named,
                                      find_communities)
from community.web.labels import category_label
from community.web.submit import submit
from community.core.timeutil import utcnow

from . import catalog, services
from .access import acting_resident, can_view, resident_may
from .forms import AddInfoForm, CancelForm, FilingForm, ReasonStepForm, TrackForm
from .models import TicketPhoto
from .notes import event_note
from .photos import clean_photo, photo_path
from .services import Filing

bp = Blueprint("tickets", __name__)
bp.add_app_template_global(event_note, "event_note")  # every page showing a timeline


@bp.app_template_global("ticket_category")
def ticket_category(ticket) -> str:
    """A request's category in the reader's language, from the process's copy of the
    active categories (no query per page); an inactive one is read through the request."""
    return category_label(catalog.choice_of(ticket.category_id) or ticket.category)


def file_with_provider(filing, provider_value, actor, now):
    """The filing, naming the provider picked from the community's list (if any): the
    list and the naming are providers' (signals.filing_providers, signals.provider_picked;
    providers stand above the requests). Checked before anything is written."""
    provider_id = int(provider_value) if provider_value and str(provider_value).isdigit() else None
    not_a_number = provider_value and provider_id is None
    if not_a_number or (provider_id and provider_id not in dict(_providers_of(filing.community_id))):
        raise ValidationFailed(_("请从本社区的服务商名单中选择。"), field="provider")
    ticket = services.submit_ticket(filing, actor, now)
    if provider_id:
        signals.provider_picked.send(ticket, provider_id=provider_id, actor=actor, now=now)
    return ticket


def _providers_of(community_id) -> list[tuple[int, str]]:
    """(id, name) of the providers a request in this community may name; none without one."""
    if not community_id or not str(community_id).isdigit():
        return []
    return [choice for _, answer in signals.filing_providers.send(int(community_id)) for choice in answer]


def _photos_posted(field_name="photos") -> int:
    return sum(1 for f in request.files.getlist(field_name) if f and f.filename)


def read_photos(field_name="photos"):
    """Clean every uploaded photo before anything is written."""
    files = [f for f in request.files.getlist(field_name) if f and f.filename]
    limit = current_app.config["COMMUNITY_PHOTO_MAX_COUNT"]
    if len(files) > limit:
        raise ValidationFailed(_("最多上传 %(n)d 张照片。", n=limit), field="photos")
    return [clean_photo(f.stream, f.filename) for f in files]


def _filing_form():
    form = FilingForm()
    form.category.choices = [("", _("请选择类别"))] + [
        (c.code, c.label(_current_lang())) for c in services.category_choices()]
    staff = current_user.is_authenticated and current_user.is_staff
    if not staff:
        form.community.choices = community_choices()
    if not form.submit_token.data:
        form.submit_token.data = secrets.token_urlsafe(24)
    if request.method == "GET" and current_user.is_authenticated:
        community_id, grid_id = _home_area(current_user)
        form.community.data = str(community_id) if community_id else form.community.data
        form.grid.data = str(grid_id) if grid_id else form.grid.data
    if staff:
        form.community.choices = _staff_communities(form.community.data)
    # After the home community is filled in, so its grids are offered at once.
    form.grid.choices = [("", _("不清楚"))] + _grid_choices(form.community.data)
    form.provider.choices = [("", _("不涉及"))] + _provider_choices(form.community.data)
    return form


def _staff_communities(chosen):
    """Staff file anywhere, but 1,800 communities are no list to scroll (nor to send with
    every form): their own area's, or those a search by name found (a caller names the
    place), and the one chosen. The community a filing names is checked by the filing."""
    wanted = _community_search()
    rows = find_communities(wanted) if wanted else communities_around(current_user.unit)
    g.communities_found = len(rows)
    if chosen and all(str(row[0]) != chosen for row in rows):
        rows = community_named(chosen) + rows
    return community_choices(rows=rows)


def _community_search() -> str:
    return (request.values.get("community_q") or "").strip()[:50]


def _provider_choices(community_id):
    return [(str(id_), name) for id_, name in _providers_of(community_id)]


def _home_area(user) -> tuple[int | None, int | None]:
    """Where a filing starts: a resident's home community; for staff (who have none) the
    community and grid of their own unit, when it is one."""
    if user.home_community_id:
        return user.home_community_id, None
    unit = user.unit if user.is_staff else None
    if unit is None:
        return None, None
    if unit.kind == UnitKind.GRID:
        return unit.parent_id, unit.id
    if unit.kind == UnitKind.COMMUNITY:
        return unit.id, None
    return None, None


@bp.get("/areas/<int:community_id>/grids")
@login_required
def grids_of(community_id):
    """The grids of a community, for the filing form's script (the page works without it)."""
    return {"grids": [{"id": value, "name": name} for value, name in _grid_choices(community_id)]}


@bp.get("/areas/locate")
@login_required
def locate():
    """The grid a point lies in, for the filing page's map (the form works without it)."""
    try:
        grid = geo.locate_point(request.args.get("lat"), request.args.get("long"))
    except ValidationFailed as exc:
        return {"error": {"code": "outside", "message": exc.message}}, 400
    return area_maps.located(grid)


def _grid_choices(community_id):
    if not community_id or not str(community_id).isdigit():
        return []
    return [(str(g.id), g.name) for g in list_units(UnitKind.GRID, int(community_id))]


def _current_lang():
    from flask_babel import get_locale

    return str(get_locale())


def _filing_with_photos(form) -> Filing:
    """The filing with its cleaned photos; a refused photo is reported together with
    every other problem of the form (services.check_filing), not one per attempt."""
    try:
        photos = read_photos()
    except ValidationFailed as photo_error:
        problems = [(photo_error.field or "photos", photo_error.message)]
        try:
            services.check_filing(_filing_from(form, []))
        except ValidationFailed as exc:
            problems += [(exc.field, exc.message), *exc.others]
        raise ValidationFailed(problems[0][1], field=problems[0][0], others=problems[1:])
    return _filing_from(form, photos)


def _filing_from(form, photos) -> Filing:
    def as_id(value):
        return int(value) if value and str(value).isdigit() else None

    staff = current_user.is_staff
    community_id, grid_id = as_id(form.community.data), as_id(form.grid.data)
    lat = long = None
    if (form.lat.data or "").strip() or (form.long.data or "").strip():
        # A point decides the grid (and so the community): it is where the problem is.
        try:
            grid = geo.locate_point(form.lat.data, form.long.data)
        except ValidationFailed as exc:
            raise ValidationFailed(exc.message, field="address") from None
        lat, long = geo.check_point(form.lat.data, form.long.data)
        community_id, grid_id = grid.community_id, grid.id
    return Filing(
        kind=form.kind.data, category_code=form.category.data, text=form.text.data,
        community_id=community_id, grid_id=grid_id, latitude=lat, longitude=long,
        address=form.address.data or "", text_public=form.text_public.data,
        urgency="urgent" if form.urgent.data else "normal",
        contact_name=form.contact_name.data if staff else current_user.name,
        contact_phone=(form.contact_phone.data or "").strip() if staff else current_user.phone,
        channel=form.channel.data if staff else "web",
        submit_token=form.submit_token.data or None, photos=photos)


def _awaiting_rating(tickets, user, now) -> set[int]:
    """待评价 on /my: ratings' rule, asked through signals.rating_awaited (ratings stands
    above the requests) for the whole page at once."""
    return set().union(*(answer or () for _, answer in signals.rating_awaited.send(tickets, user=user, now=now)))


@bp.route("/", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["COMMUNITY_FILING_RATE"], methods=["POST"],
               key_func=lambda: f"file:{current_user.get_id() or request.remote_addr}")
def home():
    if not current_user.is_authenticated:
        if request.method == "POST":
            return redirect(url_for("auth.login", next=url_for("tickets.home")))
        return render_template("tickets/welcome.html", track_form=TrackForm())
    form = _filing_form()
    status = None
    if request.method == "POST" and form.show_grids.data:
        # Without JavaScript: "show this community's grids" posts the form back; nothing is
        # filed, the grids of the chosen community are offered and the grid list is open.
        form.grid.data = ""
        return render_template("tickets/file.html", form=form, staff=current_user.is_staff,
                               grids_shown=True, map_data=_map_data(form),
                               community_q=_community_search()), 200
    if request.method == "POST" and current_user.is_staff and request.form.get("find_community"):
        # Staff's search by name (without JavaScript too): the form comes back with the
        # communities found in the list; nothing is filed.
        return render_template("tickets/file.html", form=form, staff=True, map_data=_map_data(form),
                               community_q=_community_search(), searched=True), 200
    if form.validate_on_submit():
        earlier = services.find_by_submit_token(form.submit_token.data)
        if earlier is not None:
            return _already_filed(earlier)
        try:
            done = submit(lambda: file_with_provider(_filing_with_photos(form), form.provider.data,
                                                     current_user, utcnow()),
                          form=form, field="text", undo=services.discard_photo_files)
        except IntegrityError:  # the same form submitted twice at once: the first one won
            earlier = services.find_by_submit_token(form.submit_token.data)
            if earlier is None:
                raise
            return _already_filed(earlier)
        if done.ok:
            ticket = done.value
            flash(_("诉求已提交。请记下查询码：%(code)s", code=ticket.tracking_code))
            return redirect(url_for("tickets.track", code=ticket.tracking_code))
        status = 403 if isinstance(done.refusal, NotAllowed) else 400
    status = status or (400 if form.errors else 200)
    # A browser never sends chosen files again: say so where the photos were chosen.
    lost = _photos_posted() if request.method == "POST" and form.errors else 0
    return render_template("tickets/file.html", form=form, staff=current_user.is_staff,
                           photos_lost=lost, map_data=_map_data(form),
                           community_q=_community_search()), status


def _map_data(form) -> str:
    if current_user.is_staff:
        areas = area_maps.staff_filing_areas(form.community.data, current_user.unit)
    else:
        areas = area_maps.filing_areas(form.community.data)
    return area_maps.map_data(areas, zoom=17)


def _already_filed(ticket):
    flash(_("这份诉求已经提交过了，不会重复提交。"))
    return redirect(url_for("tickets.track", code=ticket.tracking_code))


@bp.get("/t")
def track_lookup():
    form = TrackForm(request.args)
    if form.code.data:
        return redirect(url_for("tickets.track", code=services.normalize_tracking_code(form.code.data)))
    return render_template("tickets/track_lookup.html", form=form)


@bp.get("/t/<code>")
@limiter.limit(lambda: current_app.config["COMMUNITY_TRACKING_RATE"])
def track(code):
    ticket = services.get_by_tracking_code(code)
    return _track_page(ticket, AddInfoForm())


@bp.post("/t/<code>/cancel")
@limiter.limit(lambda: current_app.config["COMMUNITY_TRACKING_RATE"])
def cancel(code):
    ticket = services.get_by_tracking_code(code)
    form = CancelForm()
    status = 400
    if form.validate_on_submit():
        done = submit(lambda: services.cancel(ticket, _actor_for(ticket), utcnow(), form.reason.data),
                      form=form, field="reason")
        if done.ok:
            flash(_("诉求已撤回。"))
            return redirect(url_for("tickets.track", code=ticket.tracking_code))
        status = done.status
    return _track_page(ticket, AddInfoForm(), cancel_form=form), status


@bp.post("/t/<code>/info")
@limiter.limit(lambda: current_app.config["COMMUNITY_TRACKING_RATE"])
# Anyone with a code may post photos here, and each costs a decode: every photo counts
# toward a stricter rate per address (issue 21); text alone only toward the one above.
@limiter.limit(lambda: current_app.config["COMMUNITY_ANON_PHOTO_RATE"], cost=_photos_posted,
               key_func=lambda: f"anon-photos:{request.remote_addr}",
               exempt_when=lambda: _photos_posted() == 0)
def add_info(code):
    ticket = services.get_by_tracking_code(code)
    form = AddInfoForm()
    if form.validate_on_submit():
        if submit(lambda: services.add_info(ticket, _actor_for(ticket), utcnow(), form.text.data,
                                            read_photos()),
                  form=form, field="text", undo=services.discard_photo_files).ok:
            flash(_("补充信息已提交。"))
            return redirect(url_for("tickets.track", code=ticket.tracking_code))
    return _track_page(ticket, form), 400


def track_page(ticket):
    """The tracking page as it stands (for a refused step shown in place)."""
    return _track_page(ticket, AddInfoForm())


def _track_page(ticket, info_form, cancel_form=None):
    def photo_url(photo):
        return url_for("tickets.track_photo", code=ticket.tracking_code, photo_id=photo.id)

    cancel_form = cancel_form or CancelForm()
    user = current_user if current_user.is_authenticated else None
    now = utcnow()
    # The code alone reads and adds information; cancel and reopen need more (the one rule).
    can_cancel = resident_may(ticket, user, "cancel", now)
    can_add_info = resident_may(ticket, user, "add_info", now)
    refused = [message for form, shown in ((cancel_form, can_cancel), (info_form, can_add_info))
               if not shown for messages in form.errors.values() for message in messages]
    return render_template("tickets/track.html", ticket=ticket, info_form=info_form,
                           cancel_form=cancel_form, photo_url=photo_url, refused=refused,
                           can_cancel=can_cancel, can_add_info=can_add_info,
                           can_reopen=resident_may(ticket, user, "reopen", now),
                           needs_link=ticket.resident_id is None and not (user and user.is_staff),
                           survivor=services.surviving_ticket(ticket), now=now,
                           reopen_form=ReasonStepForm(formdata=None))


def _actor_for(ticket):
    """The signed-in resident who filed it; otherwise the holder of the code acts anonymously."""
    return acting_resident(ticket, current_user)


@bp.get("/t/<code>/photos/<int:photo_id>")
def track_photo(code, photo_id):
    ticket = services.get_by_tracking_code(code)
    return _send_photo(ticket, photo_id, public_only=True)


@bp.get("/tickets/<int:ticket_id>/photos/<int:photo_id>")
@login_required
def staff_photo(ticket_id, photo_id):
    photo = db.session.get(TicketPhoto, photo_id)
    if photo is None or photo.ticket_id != ticket_id or not can_view(current_user, photo.ticket):
        raise NotFound()
    return _send_photo(photo.ticket, photo_id)


def _send_photo(ticket, photo_id, public_only=False):
    photo = next((p for p in ticket.photos if p.id == photo_id), None)
    if photo is None or not photo_path(photo.stored_name).exists():
        abort(404)
    if public_only and photo.event is not None and not photo.event.public:
        abort(404)  # the code's holder sees what the public timeline shows, no more
    # The type we encoded, shown inline under a neutral name (nosniff is set app-wide).
    extension = "png" if photo.content_type == "image/png" else "jpg"
    response = send_file(photo_path(photo.stored_name), mimetype=photo.content_type, max_age=3600,
                         download_name=f"photo-{photo.id}.{extension}")
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.get("/my")
@login_required
def my_requests():
    if not current_user.is_resident:
        return redirect(url_for("tickets.home"))
    page = request.args.get("page", 1, type=int)
    state = request.args.get("state", "")
    state = state if state in services.MY_FILTERS else ""
    query = request.args.get("q", "").strip()[:100]
    tickets = services.residents_tickets(current_user, page, state, query)
    now = utcnow()
    # 待评价: resolved, not rated, still inside the rating window, this resident may rate.
    awaiting = _awaiting_rating(tickets, current_user, now)
    return render_template("tickets/my.html", tickets=tickets, page=page, state=state, query=query,
                           awaiting=awaiting)
