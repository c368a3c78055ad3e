"""The visitor log pages: the board (arrival form, who is in the showroom now, today's
visitors), serving and departures in place, returning visitors by phone, one visit, the
history, the month summary with its chart and workbook, and the menu (R-R5..R-R7).
"""

from datetime import timedelta

from flask import Response, abort, flash, make_response, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import lazyload

from portal import clock
from portal.audit.services import namer
from portal.auth.decorators import require
from portal.extensions import db
from portal.forms import choices, show_refusal
from portal.i18n import N_
from portal.reception import bp
from portal.reception import menu as menu_svc
from portal.reception import summary as summary_svc
from portal.reception import visitors as svc
from portal.reception.models import MenuItem, Visit
from portal.reception.visitor_forms import (
    ArrivalForm,
    DepartForm,
    DepartureForm,
    HistoryFilterForm,
    MenuEditForm,
    MenuItemForm,
    ServeForm,
)
from portal.web import (
    Conflict,
    is_fragment_request,
    page_args,
    redirect_htmx_aware,
    render,
    trigger,
)

CHANGED = "visitors-changed"  # HX-Trigger: the board, today's list and the nav badge follow
STOCK_CHANGED = "stock-changed"  # the checklist's fridge-stock widget follows
BOARD = "reception/visitors/index.html"


def _get_visit(visit_id: int, *, servings: bool = True) -> Visit:
    """The visit or 404; without its servings when the request does not show them."""
    visit = db.session.get(Visit, visit_id,
                           options=None if servings else [lazyload(Visit.servings)])
    if visit is None:
        abort(404)
    return visit


def _arrival_form(formdata=None) -> ArrivalForm:
    form = ArrivalForm(formdata=formdata)  # None: a fresh form (Flask-WTF would read the POST)
    if formdata is None:
        _fresh_arrival(form)
    return form


def _fresh_arrival(form: ArrivalForm) -> None:
    """A new arrival is now (to the minute) unless the receptionist corrects it."""
    if not form.arrived_at.data:
        form.arrived_at.data = clock.now().replace(second=0, microsecond=0, tzinfo=None)


def _with_consultants(form: ArrivalForm, *, kept: bool = False) -> ArrivalForm:
    """The consultant choices, read only when the form is shown (a POST validates the id
    against the staff table, not against this list). ``kept``: an htmx answer that leaves
    the list in the page as it is (the select has ``hx-preserve``), sent without options."""
    form.consultant_id.choices = [] if kept else choices(
        [("", _l("— free name below —"))]
        + [(str(u.id), u.display_name) for u in svc.consultants()])
    return form


def _serve_form(menu) -> ServeForm:
    form = ServeForm(formdata=None)
    form.menu_item_id.choices = choices((str(i.id), i.name) for i in menu)
    return form


def _row_context(menu=None) -> dict:
    """What a board row needs. ``menu`` only where a serve form is shown (on request)."""
    long_stay = svc.long_stay_minutes()
    return {
        "menu": menu or [],
        "now": clock.now(),
        "long_stay": long_stay,
        "long_title": _("In the showroom longer than %(minutes)d minutes.", minutes=long_stay),
        "note_shown": svc.NOTE_SHOWN,
        "minutes": svc.minutes_in_showroom,
        "phone": lambda v: svc.shown_phone(v.phone, current_user),
        "visitor": lambda v: svc.shown_name(v.visitor_name, current_user),
        "consultant": svc.consultant_display,
        "purposes": svc.PURPOSES,
        "sources": svc.SOURCES,
    }


BOARD_ARGS = ("before", "after")


def _board(status: int = 200, block: str | None = "showroom_board", form=None):
    """The board page, or one of its parts for htmx: a refresh reads only that part. The
    board is a keyset page of the parties in the showroom; today's part is the day's totals
    and its latest arrivals."""
    whole = block is None or not is_fragment_request()
    if whole and current_user.can("reception.work"):
        form = _with_consultants(form or _arrival_form())
    board = count = None
    if whole or block == "showroom_board":
        board = svc.board_page(before=request.args.get("before"),
                               after=request.args.get("after"))
        count = svc.in_showroom_count()  # every party, on this page or the others
    return render(BOARD, block=block, status=status, form=form, board=board,
                  board_count=count, board_args=page_args(BOARD_ARGS),
                  today=svc.day_list(limit=svc.TODAY_ROWS)
                  if whole or block == "today_visits" else None,
                  **_row_context())


@bp.route("/")
@require("reception.view")
def index():
    """The visitor board: the arrival form, who is in the showroom now, today's visitors."""
    return _board(block=None)


@bp.route("/board")
@require("reception.view")
def board():
    """Who is in the showroom now (polled every 15 s and after every action), a page of
    parties at a time."""
    return _board(block="showroom_board")


@bp.route("/today")
@require("reception.view")
def today():
    """Today's totals by purpose and source, and the latest arrivals."""
    return _board(block="today_visits")


@bp.route("/badge")
@require("reception.view")
def badge():
    """The navigation count: parties in the showroom now."""
    count = svc.in_showroom_count()
    response = make_response(render("reception/visitors/_badge.html", count=count))
    response.headers["Cache-Control"] = "no-store"
    return response


ARRIVAL_DEFAULTS = ("party_size", "purpose", "source")


def _logged(visit: Visit):
    """htmx: the arrival was logged. The answer is the form's status line only (the form,
    with its list of every consultant, stays in the page); ``arrival-logged`` carries the
    values the form starts again with, which reception.js puts back in place."""
    form = _arrival_form()
    fresh = {name: "" for name in form.data if name != "csrf_token"}
    fresh.update({name: str(form[name].data) for name in ARRIVAL_DEFAULTS})
    fresh["arrived_at"] = form.arrived_at._value()
    response = render(BOARD, block="arrival_saved", saved=visit)
    response.headers["HX-Retarget"] = "#arrival-saved"
    response.headers["HX-Reswap"] = "outerHTML"
    return trigger(response, CHANGED, **{"arrival-logged": fresh})


@bp.route("/visits", methods=["POST"])
@require("reception.work")
def arrive():
    """R-R5: log a party's arrival; it appears on the board at once."""
    form = _arrival_form(request.form)
    visit = None
    if form.validate_on_submit():
        try:
            visit = svc.arrive(
                current_user, arrived_at=form.arrived_at.data, party_size=form.party_size.data,
                purpose=form.purpose.data, source=form.source.data,
                consultant_id=form.consultant_id.data, consultant_name=form.consultant_name.data,
                visitor_name=form.visitor_name.data, phone=form.phone.data,
                note=form.note.data)
        except svc.VisitError as error:  # refused before anything was written
            show_refusal(form, error)
    if visit is None:
        if is_fragment_request():
            return render(BOARD, block="arrival_form",
                          form=_with_consultants(form, kept=True), status=422)
        return _board(block=None, status=422, form=form)
    if not is_fragment_request():
        flash(_("The arrival was logged."), "success")
        return redirect_htmx_aware(url_for("reception.index"))
    return _logged(visit)


def _row(visit: Visit, *, status: int = 200, message: str | None = None, serve_form=None,
         menu=None, events=()):
    """The board row swapped in place (htmx), else back to the board with a message. The
    serve form is in the row only when asked for (``serve_form``, with the ``menu``)."""
    if is_fragment_request():
        response = render(BOARD, block="visit_row", visit=visit, row_message=message,
                          serve_form=serve_form, status=status, **_row_context(menu))
        return trigger(response, *events) if events else response
    if message:
        flash(message, "error" if status >= 400 else "success")
    return redirect_htmx_aware(url_for("reception.index"))


@bp.route("/visits/<int:visit_id>/serve")
@require("reception.work")
def serve_form(visit_id: int):
    """The serve form of one party, on request: htmx opens it in the board row (a plain
    request goes to the visit's page, which has it)."""
    visit = _get_visit(visit_id)
    if not is_fragment_request():
        return redirect_htmx_aware(url_for("reception.visit", visit_id=visit.id))
    menu = menu_svc.active_menu() if visit.left_at is None else []
    return _row(visit, serve_form=_serve_form(menu), menu=menu)


@bp.route("/visits/<int:visit_id>/serve", methods=["POST"])
@require("reception.work")
def serve(visit_id: int):
    """R-R5: record something from the menu served to the party (in place, from the board)."""
    visit = _get_visit(visit_id)
    menu = menu_svc.active_menu()
    form = ServeForm()
    form.menu_item_id.choices = choices((str(i.id), i.name) for i in menu)
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        return _row(visit, status=422, serve_form=form, menu=menu)
    try:
        serving = svc.serve(current_user, visit, form.menu_item_id.data, form.quantity.data)
    except svc.VisitError as error:  # refused before anything was written: nothing to undo
        show_refusal(form, error)
        status = 409 if visit.left_at is not None else 422
        return _row(visit, status=status, serve_form=form, menu=menu,
                    message=" ".join(form.form_errors) or None)
    message = _("Served: %(name)s × %(count)d.", name=serving.menu_item.name,
                count=serving.quantity)
    return _row(visit, message=message, events=(STOCK_CHANGED,))


def _already_left(visit: Visit) -> str:
    return _("This party already left at %(time)s. This is its current state.",
             time=clock.local(visit.left_at).strftime("%H:%M") if visit.left_at else "—")


@bp.route("/visits/<int:visit_id>/depart", methods=["POST"])
@require("reception.work")
def depart(visit_id: int):
    """R-R5: one click marks the party as left; a second click elsewhere sees it left."""
    visit = _get_visit(visit_id, servings=False)
    form = DepartForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        svc.depart(current_user, visit, form.version.data)
    except Conflict:
        db.session.rollback()
        db.session.refresh(visit)
        return _row(visit, status=409, message=_already_left(visit))
    if is_fragment_request():
        # the row leaves the board; the board, today's list and the badge follow
        return trigger(make_response("", 200), CHANGED)
    flash(_("Marked as left."), "success")
    return redirect_htmx_aware(url_for("reception.index"))


def _visit_page(visit: Visit, *, form=None, status: int = 200, message: str | None = None):
    """One visit. A party still in the showroom gets the serve and departure forms here too
    (plain POSTs): the board's buttons need htmx, this page does not."""
    work = current_user.can("reception.work")
    if form is None and visit.left_at and work:
        form = DepartureForm(formdata=None, obj=visit)
        form.left_at.data = clock.local(visit.left_at).replace(tzinfo=None)
    menu = menu_svc.active_menu() if work and visit.left_at is None else []
    return render("reception/visitors/visit.html", block="visit_detail", visit=visit,
                  form=form, status=status, detail_message=message, detail_error=status >= 400,
                  earlier=svc.earlier_visits(visit.phone, exclude_id=visit.id),
                  serve_form=_serve_form(menu) if work and visit.left_at is None else None,
                  **_row_context(menu))


@bp.route("/visits/<int:visit_id>")
@require("reception.view")
def visit(visit_id: int):
    """One visit: who, when, what they were served, earlier visits; correct the departure."""
    return _visit_page(_get_visit(visit_id))


@bp.route("/visits/<int:visit_id>/departure", methods=["POST"])
@require("reception.work")
def correct_departure(visit_id: int):
    """Correct the recorded departure time (never before the arrival)."""
    visit = _get_visit(visit_id)
    form = DepartureForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors or form.version.errors:
            abort(400)
        return _visit_page(visit, form=form, status=422)
    try:
        svc.correct_departure(current_user, visit, form.left_at.data, form.version.data)
    except Conflict:
        db.session.rollback()
        db.session.refresh(visit)
        return _visit_page(visit, status=409, message=_(
            "Someone else changed this visit first. This is its current state."))
    except svc.VisitError as error:
        db.session.rollback()
        db.session.refresh(visit)
        show_refusal(form, error)
        return _visit_page(visit, form=form, status=422)
    if is_fragment_request():
        return trigger(_visit_page(visit, message=_("The departure time was corrected.")),
                       CHANGED)
    flash(_("The departure time was corrected."), "success")
    return redirect_htmx_aware(url_for("reception.visit", visit_id=visit.id))


@bp.route("/returning")
@require("reception.view")
def returning():
    """Returning visitors: earlier visits with the phone number being typed (R-R5)."""
    if not is_fragment_request():
        return _board(block=None)  # a plain request gets the whole board
    raw = request.args.get("phone", "")
    try:
        phone = svc.normalise_phone(raw)
    except svc.VisitError:
        phone = None
    visits = svc.earlier_visits(phone, limit=5) if phone else []
    return render(BOARD, block="returning_visits", earlier=visits, typed=bool(raw.strip()),
                  **_row_context())


HISTORY_ARGS = ("date_from", "date_to", "consultant", "purpose", "source")


@bp.route("/history")
@require("reception.view")
def history():
    """Every visit, newest first; filtered by dates, consultant, purpose, source; paged."""
    form = HistoryFilterForm()
    form.consultant.choices = choices([("", _l("Any consultant"))]
                                      + svc.consultant_choices())
    valid = form.validate()
    if valid and form.date_from.data and form.date_to.data \
            and form.date_from.data > form.date_to.data:
        form.date_to.errors = [_("The end date is before the start date.")]
        valid = False
    query = svc.history_query(
        date_from=form.date_from.data if valid else None,
        date_to=form.date_to.data if valid else None,
        consultant=form.consultant.data if valid else None,
        purpose=form.purpose.data if valid else None,
        source=form.source.data if valid else None)
    page = svc.history_page(query, before=request.args.get("before"),
                            after=request.args.get("after"))
    args = {k: v for k, v in request.args.items() if k in HISTORY_ARGS and v}
    return render("reception/visitors/history.html", block="history_table", form=form,
                  page=page, args=args, status=200 if valid else 422,
                  **_row_context())


def _month_arg() -> tuple[int, int]:
    text = request.args.get("month")
    if text is None:
        return clock.today().year, clock.today().month
    month = summary_svc.parse_month(text)
    if month is None:
        abort(404)
    return month


@bp.route("/summary")
@require("reception.view")
def summary():
    """R-R7: the month summed up, with a chart of visits per day."""
    year, month = _month_arg()
    data = summary_svc.month_summary(year, month)
    first = data.days[0]
    previous = (first.replace(day=1) - timedelta(days=1))
    following = data.days[-1] + timedelta(days=1)
    return render("reception/visitors/summary.html", block="month_summary", summary=data,
                  chart=summary_svc.bar_chart_svg(data), purposes=svc.PURPOSES,
                  sources=svc.SOURCES, previous=f"{previous:%Y-%m}",
                  following=f"{following:%Y-%m}")


@bp.route("/summary.xlsx")
@require("reception.view")
def summary_xlsx():
    """R-R7: the month summary as an .xlsx workbook."""
    year, month = _month_arg()
    data = summary_svc.month_summary(year, month)
    response = Response(summary_svc.export_xlsx(data), mimetype=(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
    response.headers["Content-Disposition"] = (
        f'attachment; filename="showroom-visitors-{data.label}.xlsx"')
    return response


# --- the menu (reception.lists) ---------------------------------------------------------------


def _menu_form(form=None, formdata=None):
    form = form or MenuItemForm(formdata=formdata)
    form.stock_item_id.choices = choices(
        [("", _l("— not counted —"))]
        + [(str(i.id), i.name) for i in menu_svc.counted_items()])
    return form


def _menu_page(*, form=None, status: int = 200, block: str | None = "menu_list",
               edited: MenuItem | None = None, edit_form=None, message: str | None = None):
    counted = menu_svc.counted_items()
    return render("reception/visitors/menu.html", block=block, status=status,
                  form=form or _menu_form(formdata=None), items=menu_svc.all_items(),
                  counted=counted, kinds=menu_svc.KINDS, edited=edited, edit_form=edit_form,
                  menu_message=message)


@bp.route("/menu")
@require("reception.lists")
def menu():
    """The showroom's menu: add, rename, deactivate items, link drinks to a fridge count."""
    return _menu_page()


@bp.route("/menu", methods=["POST"])
@require("reception.lists")
def menu_create():
    """Put a new drink or snack on the menu."""
    form = _menu_form(formdata=request.form)
    if form.validate_on_submit():
        try:
            menu_svc.add_item(current_user, name=form.name.data, kind=form.kind.data,
                              stock_item_id=form.stock_item_id.data)
        except svc.VisitError as error:
            db.session.rollback()
            show_refusal(form, error)
        else:
            if is_fragment_request():
                return _menu_page(block="menu_page", message=_("Added to the menu."))
            flash(_("Added to the menu."), "success")
            return redirect_htmx_aware(url_for("reception.menu"))
    return _menu_page(form=form, status=422, block="menu_page")


@bp.route("/menu/<int:item_id>", methods=["POST"])
@require("reception.lists")
def menu_update(item_id: int):
    """Rename, relink or (de)activate a menu item."""
    item = db.session.get(MenuItem, item_id)
    if item is None:
        abort(404)
    form = MenuEditForm(formdata=request.form)
    _menu_form(form=form)
    if not form.validate_on_submit():
        if "csrf_token" in form.errors or form.version.errors:
            abort(400)
        return _menu_page(status=422, block="menu_page", edited=item, edit_form=form)
    try:
        menu_svc.update_item(current_user, item, version=form.version.data, name=form.name.data,
                             kind=form.kind.data, stock_item_id=form.stock_item_id.data,
                             active=form.active.data)
    except Conflict:
        db.session.rollback()
        db.session.refresh(item)
        return _menu_page(status=409, block="menu_page", message=_(
            "Someone else changed this item first. This is its current state."))
    except svc.VisitError as error:
        db.session.rollback()
        db.session.refresh(item)
        show_refusal(form, error)
        return _menu_page(status=422, block="menu_page", edited=item, edit_form=form)
    if is_fragment_request():
        return _menu_page(block="menu_page", message=_("The menu was saved."))
    flash(_("The menu was saved."), "success")
    return redirect_htmx_aware(url_for("reception.menu"))


# --- navigation, cards, audit ---------------------------------------------------------------


NOW_CARD_ROWS = 6


def _now_card(user) -> dict:
    visits = svc.in_showroom(limit=NOW_CARD_ROWS + 1)
    count = len(visits) if len(visits) <= NOW_CARD_ROWS else svc.in_showroom_count()
    return {"visits": visits[:NOW_CARD_ROWS], "count": count, "now": clock.now(),
            "long_stay": svc.long_stay_minutes(), "minutes": svc.minutes_in_showroom,
            "consultant": svc.consultant_display}


def _month_card(user) -> dict:
    month = summary_svc.summary_month_for()
    if month is None:
        return {"ready": False, "month": f"{clock.today():%Y-%m}"}
    parties, people = summary_svc.month_totals(*month)
    return {"ready": True, "month": f"{month[0]:04d}-{month[1]:02d}", "parties": parties,
            "people": people}


_audit_names = namer(Visit, Visit.day, Visit.party_size,
                     fmt=lambda ident, day, size: f"#{ident} {day.isoformat()} ({size})")
_menu_names = namer(MenuItem, MenuItem.name)


def register(app) -> None:
    """Navigation entry (with the count of parties in the showroom) and Today cards."""
    from portal.ui import LinkSource, register_link_source

    register_link_source(app, "visit", LinkSource(
        N_("Showroom visit"), svc.link_query, svc.link_text))
    from portal.audit.services import ACTION_LABELS, FIELD_LABELS, VALUE_LABELS, register_target
    from portal.ui import Card, NavItem, register_card, register_nav

    app.config.setdefault("SHOWROOM_LONG_STAY_MINUTES", svc.LONG_STAY_MINUTES)
    visitor_pages = ("reception.index", "reception.visit", "reception.history",
                     "reception.summary", "reception.menu")
    register_nav(app, NavItem("reception.index", _l("Showroom"), "reception.view", order=5,
                              active_prefix=visitor_pages, badge_endpoint="reception.badge",
                              badge_event=CHANGED))
    register_card(app, Card("showroom-now", _l("In the showroom now"), "reception.work",
                            "reception/visitors/_card_now.html", _now_card, order=30,
                            stylesheet="css/reception.css"))
    register_card(app, Card("showroom-month", _l("Showroom month summary"), "reception.lists",
                            "reception/visitors/_card_month.html", _month_card, order=60,
                            stylesheet="css/reception.css"))
    ACTION_LABELS.update({
        "reception.visit_arrived": N_("Showroom visitor arrival logged"),
        "reception.visit_served": N_("Showroom visitor served"),
        "reception.visit_departed": N_("Showroom visitor marked as left"),
        "reception.departure_corrected": N_("Showroom departure time corrected"),
        "reception.menu_added": N_("Showroom menu item added"),
        "reception.menu_changed": N_("Showroom menu item changed"),
    })
    for name, label in {
        "arrived_at": N_("Arrived at"), "left_at": N_("Left at"), "party_size": N_("People"),
        "purpose": N_("Purpose"), "source": N_("How they came"),
        "consultant": N_("Consultant"), "phone": N_("Phone"), "name": N_("Name"),
        "kind": N_("Kind"), "stock_item_id": N_("Fridge count (checklist item)"),
        "active": N_("Active"),
    }.items():
        FIELD_LABELS.setdefault(name, label)
    for name, labels in {"purpose": svc.PURPOSES, "source": svc.SOURCES,
                         "kind": menu_svc.KINDS}.items():
        VALUE_LABELS.setdefault(name, {}).update(labels)
    register_target("visits", N_("Showroom visit"), _audit_names)
    register_target("menu_items", N_("Showroom menu item"), _menu_names)

