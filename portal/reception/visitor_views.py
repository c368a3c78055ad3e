"""The visitor log pages: the board (arrival form, who is in the showroom now, today's
visitors), serving and departures in place, returning visitors by phone, one visit, the
history, the month summary with its chart and workbook, and the menu (R-R5..R-R7).

Every change runs through ``portal.actions.run``; what each answers is one of the small
answer classes here: the arrival form, a board row, the visit's page, the menu.
"""

from datetime import timedelta

from flask import Response, abort, make_response, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import lazyload

from portal import actions, clock
from portal.audit.services import namer
from portal.auth.decorators import require
from portal.extensions import db
from portal.forms import choices
from portal.i18n import N_
from portal.live.counters import cheap_poll
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
from portal.web import is_fragment_request, page_args, redirect_htmx_aware, render, trigger

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


def _serve_form(menu, formdata=None) -> ServeForm:
    return ServeForm.for_menu(menu, formdata=formdata)


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


def _board(block: str | None = "showroom_board", form=None):
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
    return render(BOARD, block=block, form=form, board=board,
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
@cheap_poll("visits", "servings", period=60)
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
@cheap_poll("visits", period=60)
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


class ArrivalAnswer:
    """What logging an arrival answers: the form's status line (htmx), or the form as typed
    with its messages; without JavaScript, the board."""

    def done(self, visit: Visit, message: str):
        return _logged(visit)

    def refused(self, form, message):
        if is_fragment_request():
            return render(BOARD, block="arrival_form", form=_with_consultants(form, kept=True))
        return _board(block=None, form=form)

    conflict = refused  # an arrival changes no record someone else could have changed

    def location(self, visit) -> str:
        return url_for("reception.index")


@bp.route("/visits", methods=["POST"])
@require("reception.work")
def arrive():
    """R-R5: log a party's arrival; it appears on the board at once."""
    form = _arrival_form(request.form)
    return actions.run(
        lambda: svc.arrive(
            current_user, arrived_at=form.arrived_at.data, party_size=form.party_size.data,
            purpose=form.purpose.data, source=form.source.data,
            consultant_id=form.consultant_id.data, consultant_name=form.consultant_name.data,
            visitor_name=form.visitor_name.data, phone=form.phone.data, note=form.note.data),
        form=form, answer=ArrivalAnswer(), done=_l("The arrival was logged."))


def _row(visit: Visit, *, message: str | None = None, serve_form=None, menu=None):
    """The board row swapped in place (htmx). The serve form is in the row only when asked
    for (``serve_form``, with the ``menu``)."""
    return render(BOARD, block="visit_row", visit=visit, row_message=message,
                  serve_form=serve_form, **_row_context(menu))


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


def _already_left(visit: Visit) -> str:
    return _("This party already left at %(time)s. This is its current state.",
             time=clock.local(visit.left_at).strftime("%H:%M") if visit.left_at else "—")


class RowAnswer:
    """A party's board row answers serving and departing in place (htmx). Without
    JavaScript the forms are on the visit's page: a change goes back to the board, a refusal
    or a conflict shows the visit's page with the message."""

    def __init__(self, visit: Visit, menu=None, events=()) -> None:
        self.visit, self.menu, self.events = visit, menu, events

    def done(self, result, message: str):
        return trigger(_row(self.visit, message=message), *self.events)

    def refused(self, form, message):
        message = message or " ".join(form.form_errors) or None
        if not is_fragment_request():
            return _visit_page(self.visit, serve_form=form, message=message, error=True)
        # the refusal rolled back and expired the menu read before: one query reads it again
        # (its items one by one would be a query each)
        menu = menu_svc.active_menu() if self.menu is not None else None
        return _row(self.visit, serve_form=form, menu=menu, message=message)

    def conflict(self, form, message: str):
        # the party was marked as left first: its row (no forms left) says when
        if not is_fragment_request():
            return _visit_page(self.visit, message=_already_left(self.visit), error=True)
        return _row(self.visit, message=_already_left(self.visit))

    def location(self, result) -> str:
        return url_for("reception.index")


class DepartAnswer(RowAnswer):
    """A party marked as left leaves the board: the answer is empty, and the board, today's
    list and the badge follow (``visitors-changed``)."""

    def done(self, result, message: str):
        return trigger(make_response("", 200), CHANGED)


@bp.route("/visits/<int:visit_id>/serve", methods=["POST"])
@require("reception.work")
def serve(visit_id: int):
    """R-R5: record a party's whole order at once: how many of each item on the menu (in
    place, from the board)."""
    visit = _get_visit(visit_id)
    menu = menu_svc.active_menu()
    form = _serve_form(menu, request.form)
    return actions.run(
        lambda: svc.serve(current_user, visit, form.order()),
        form=form, answer=RowAnswer(visit, menu, events=(STOCK_CHANGED,)), subject=visit,
        done=lambda servings: _("Served: %(items)s.", items=" · ".join(
            f"{s.menu_item.local_name} × {s.quantity}" for s in servings)))


@bp.route("/visits/<int:visit_id>/depart", methods=["POST"])
@require("reception.work")
def depart(visit_id: int):
    """R-R5: one click marks the party as left; a second click elsewhere sees it left."""
    visit = _get_visit(visit_id, servings=False)
    form = DepartForm()
    return actions.run(lambda: svc.depart(current_user, visit, form.version.data),
                       form=form, answer=DepartAnswer(visit), subject=visit,
                       done=_l("Marked as left."))


def _visit_page(visit: Visit, *, form=None, serve_form=None, message: str | None = None,
                error: bool = False):
    """One visit. A party still in the showroom gets the serve and departure forms here too
    (plain POSTs): the board's buttons need htmx, this page does not."""
    work = current_user.can("reception.work")
    if form is None and visit.left_at and work:
        form = DepartureForm(formdata=None, obj=visit)
        form.left_at.data = clock.local(visit.left_at).replace(tzinfo=None)
    present = work and visit.left_at is None
    menu = menu_svc.active_menu() if present else []
    if present and serve_form is None:
        serve_form = _serve_form(menu)
    return render("reception/visitors/visit.html", block="visit_detail", visit=visit,
                  form=form, detail_message=message, detail_error=error,
                  earlier=svc.earlier_visits(visit.phone, exclude_id=visit.id),
                  serve_form=serve_form if present else None, **_row_context(menu))


@bp.route("/visits/<int:visit_id>")
@require("reception.view")
def visit(visit_id: int):
    """One visit: who, when, what they were served, earlier visits; correct the departure."""
    return _visit_page(_get_visit(visit_id))


class VisitAnswer:
    """The visit's page answers a corrected departure time: the facts as they are now, and
    the form (as typed, after a refusal or a conflict)."""

    def __init__(self, visit: Visit) -> None:
        self.visit = visit

    def done(self, result, message: str):
        return trigger(_visit_page(self.visit, message=message), CHANGED)

    def refused(self, form, message):
        return _visit_page(self.visit, form=form)

    def conflict(self, form, message: str):
        return _visit_page(self.visit, form=form, error=True, message=_(
            "Someone else changed this visit first. This is its current state."))

    def location(self, result) -> str:
        return url_for("reception.visit", visit_id=self.visit.id)


@bp.route("/visits/<int:visit_id>/departure", methods=["POST"])
@require("reception.work")
def correct_departure(visit_id: int):
    """Correct the recorded departure time (never before the arrival)."""
    visit = _get_visit(visit_id)
    form = DepartureForm()
    return actions.run(
        lambda: svc.correct_departure(current_user, visit, form.left_at.data, form.version.data),
        form=form, answer=VisitAnswer(visit), subject=visit,
        done=_l("The departure time was corrected."))


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
        + [(str(i.id), i.local_name) for i in menu_svc.counted_items()])
    return form


def _menu_page(*, form=None, block: str | None = "menu_list", edited: MenuItem | None = None,
               edit_form=None, message: str | None = None, error: bool = False):
    counted = menu_svc.counted_items()
    return render("reception/visitors/menu.html", block=block,
                  form=form or _menu_form(formdata=None), items=menu_svc.all_items(),
                  counted=counted, kinds=menu_svc.KINDS, edited=edited, edit_form=edit_form,
                  menu_message=message, menu_error=error)


@bp.route("/menu")
@require("reception.lists")
def menu():
    """The showroom's menu: add, rename, deactivate items, link drinks to a fridge count."""
    return _menu_page()


class MenuAnswer:
    """The menu page answers its changes whole (a short list): with the message, or with the
    form as typed next to its messages; after a conflict the item as it is now, and the
    row as typed."""

    def __init__(self, item: MenuItem | None = None) -> None:
        self.item = item

    def done(self, result, message: str):
        return _menu_page(block="menu_page", message=message)

    def refused(self, form, message):
        if self.item is None:
            return _menu_page(form=form, block="menu_page")
        return _menu_page(block="menu_page", edited=self.item, edit_form=form)

    def conflict(self, form, message: str):
        return _menu_page(block="menu_page", edited=self.item, edit_form=form, error=True,
                          message=_("Someone else changed this item first. This is its "
                                    "current state."))

    def location(self, result) -> str:
        return url_for("reception.menu")


@bp.route("/menu", methods=["POST"])
@require("reception.lists")
def menu_create():
    """Put a new drink or snack on the menu."""
    form = _menu_form(formdata=request.form)
    return actions.run(
        lambda: menu_svc.add_item(current_user, name=form.name.data, kind=form.kind.data,
                                  stock_item_id=form.stock_item_id.data, names=form.names()),
        form=form, answer=MenuAnswer(), done=_l("Added to the menu."))


@bp.route("/menu/<int:item_id>", methods=["POST"])
@require("reception.lists")
def menu_update(item_id: int):
    """Rename, relink or (de)activate a menu item."""
    item = db.get_or_404(MenuItem, item_id)
    form = MenuEditForm(formdata=request.form)
    _menu_form(form=form)
    return actions.run(
        lambda: menu_svc.update_item(current_user, item, version=form.version.data,
                                     name=form.name.data, kind=form.kind.data,
                                     stock_item_id=form.stock_item_id.data,
                                     active=form.active.data, names=form.names()),
        form=form, answer=MenuAnswer(item), subject=item, done=_l("The menu was saved."))


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
    """Navigation entry (with the count of parties in the showroom), Today cards, the audit
    trail's words, and visits as what a score entry may point to."""
    from portal.ui import (
        Card,
        LinkSource,
        NavItem,
        register_audit,
        register_card,
        register_link_source,
        register_nav,
    )

    register_link_source(app, "visit", LinkSource(
        N_("Showroom visit"), svc.link_query, svc.link_text))

    app.config.setdefault("SHOWROOM_LONG_STAY_MINUTES", svc.LONG_STAY_MINUTES)
    visitor_pages = ("reception.index", "reception.visit", "reception.history",
                     "reception.summary", "reception.menu", "reception.consultants")
    register_nav(app, NavItem("reception.index", _l("Showroom"), "reception.view", order=5,
                              active_prefix=visitor_pages, badge_endpoint="reception.badge",
                              badge_event=CHANGED))
    register_card(app, Card("showroom-now", _l("In the showroom now"), "reception.work",
                            "reception/visitors/_card_now.html", _now_card, order=30,
                            stylesheet="css/reception.css", events=(CHANGED,)))
    register_card(app, Card("showroom-month", _l("Showroom month summary"), "reception.lists",
                            "reception/visitors/_card_month.html", _month_card, order=60,
                            stylesheet="css/reception.css"))
    register_audit(app, actions={
        "reception.visit_arrived": N_("Showroom visitor arrival logged"),
        "reception.visit_served": N_("Showroom visitor served"),
        "reception.visit_departed": N_("Showroom visitor marked as left"),
        "reception.departure_corrected": N_("Showroom departure time corrected"),
        "reception.menu_added": N_("Showroom menu item added"),
        "reception.menu_changed": N_("Showroom menu item changed"),
    }, fields={
        "arrived_at": N_("Arrived at"), "left_at": N_("Left at"), "party_size": N_("People"),
        "purpose": N_("Purpose"), "source": N_("How they came"),
        "consultant": N_("Consultant"), "phone": N_("Phone"), "name": N_("Name"),
        "kind": N_("Kind"), "stock_item_id": N_("Fridge count (checklist item)"),
        "active": N_("Active"),
    }, values={"purpose": svc.PURPOSES, "source": svc.SOURCES, "kind": menu_svc.KINDS},
        target=("visits", N_("Showroom visit"), _audit_names))
    register_audit(app, target=("menu_items", N_("Showroom menu item"), _menu_names))

