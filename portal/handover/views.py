"""The handover book pages: the book of the current shift, writing, signing, taking over,
closing, correcting, an item's history, the history search and the navigation badge.

Permissions differ per book (R-H5), so every view is registered once per book with its own
endpoint (``handover.desk_index``, ``handover.showroom_index``, ...) and ``@require``.
The book is bound to the view, not passed as a rule default: a default would be a URL
argument of the rule, and the access-matrix test fills every URL argument with an id.
"""

from functools import wraps

import sqlalchemy as sa
from flask import abort, make_response, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal import actions
from portal.audit.services import namer
from portal.auth.decorators import require
from portal.auth.models import User
from portal.auth.permissions import ROLES, role_can
from portal.extensions import db
from portal.forms import Form, choices
from portal.handover import bp
from portal.handover import services as svc
from portal.handover.forms import CloseForm, EditForm, HistoryFilterForm, ItemForm, TakeOverForm
from portal.handover.models import HandoverAck, HandoverItem
from portal.i18n import N_, safe_next
from portal.live.counters import cheap_poll
from portal.shifts.slots import next_slot, shift_types
from portal.web import is_fragment_request, redirect_htmx_aware, render, trigger

CHANGED = "handover-changed"  # HX-Trigger event: the badges and cards follow
TEMPLATE = "handover/book.html"


def book_route(rule: str, action: str, need: str, methods=("GET",)):
    """Register the view for each book as ``handover.<book>_<action>``; ``need`` is
    ``read``/``write`` (of that book) or a whole permission string."""

    def decorator(view):
        for book in svc.BOOKS:
            permission = f"handover.{book}.{need}" if need in ("read", "write") else need
            bp.add_url_rule(f"/{book}{rule}", f"{book}_{action}",
                            require(permission)(_bound(view, book)), methods=list(methods))
        return view

    return decorator


def _bound(view, book: str):
    @wraps(view)
    def for_book(**kwargs):
        return view(book, **kwargs)

    return for_book


@bp.context_processor
def _problem_categories() -> dict:
    """R-H4: the categories whose items name an order number (the item form opens them)."""
    return {"problem_categories": svc.PROBLEM_CATEGORIES}


def endpoint(book: str, action: str) -> str:
    return f"handover.{book}_{action}"


def _get_item(book: str, item_id: int) -> tuple[HandoverItem, int]:
    """The item of ``book`` (else 404) and how many earlier texts it keeps, in one query."""
    row = db.session.execute(
        sa.select(HandoverItem, svc.revision_count_column()).where(HandoverItem.id == item_id)
    ).first()
    if row is None or row[0].book != book:
        abort(404)
    return row[0], row[1]


def _card_context(book: str, reading, types, items=(), *, acks=None, revisions=None) -> dict:
    """What the item card needs, loaded for all ``items`` at once (no N+1); ``acks`` and
    ``revisions`` when the caller has them already."""
    ids = [item.id for item in items]
    if acks is None:
        acks = svc.acks_in(reading, ids) if reading else {}
    user = current_user._get_current_object()  # the proxy costs a lookup on every use
    return {
        "book": book,
        "reading": reading,
        "acks": acks,
        "revisions": svc.revision_counts(ids) if revisions is None else revisions,
        "age_of": lambda item: svc.shifts_between(svc.slot_of(item), reading, types),
        "item_slot": svc.slot_of,
        "closable": lambda item: svc.may_close(user, item),
        "kinds": svc.ACK_KINDS,
        "words": _card_words(),
        "me": user.id,
        "writer": user.can(f"handover.{book}.write"),
        "escalate": svc.may_escalate(user),
        "may_score": user.can("scoring.record"),
    }


def _card_words() -> dict:
    """The fixed words of an item card, translated once per request rather than once per
    card (a page of thirty cards asked Flask-Babel some three hundred times)."""
    return {
        "categories": {code: _(label) for code, label in svc.CATEGORIES.items()},
        "kinds": {code: _(label) for code, label in svc.ACK_KINDS.items()},
        "urgent": _("Urgent"), "closed": _("Closed"),
        "unsigned_title": _("Not signed yet by this shift"),
        "unsigned": _("Not signed yet by this shift."),
        "previous_shift": _("From the previous shift"), "read_all": _("Read all"),
        "order_no": _("Order number"), "customer_ref": _("Customer ID"),
        "purchase_date": _("Purchase date"), "return_tracking": _("Return tracking number"),
        "customer_request": _("What the customer asks for"),
        "sign": _("Sign as read"), "take_over": _("Take over"),
        "close": _("Close with a resolution"), "score": _("Record a reward/penalty"),
        "history": _("History"),
    }


def _book_page(book: str, form: ItemForm | None = None, status: int = 200):
    """The book page: the first page of each list, or the page after the cursor
    ``?waiting=`` / ``?written=`` (its "more" link: a page of its own, bounded in size)."""
    reading, writing = svc.acting_slots(current_user)
    types = shift_types()
    waiting, waiting_more, written = [], None, None
    if reading:
        waiting, waiting_more = svc.waiting_page(book, reading, types,
                                                 after=request.args.get("waiting"))
    if writing:
        written = svc.written_page(book, writing, before=request.args.get("written"))
    if form is None and current_user.can(f"handover.{book}.write"):
        form = ItemForm(formdata=None)
    shown = waiting + (written.items if written else [])
    return render(TEMPLATE, block="handover_lists", status=status, form=form,
                  book_label=svc.BOOK_LABELS[book], waiting=waiting, waiting_more=waiting_more,
                  waiting_from=request.args.get("waiting"),
                  written=written.items if written else [],
                  written_more=written.older if written else None,
                  written_from=request.args.get("written"),
                  writing=writing, addressed_to=next_slot(writing) if writing else None,
                  **_card_context(book, reading, types, shown))


@book_route("/", "index", "read")
def index(book: str):
    """The book for the user's shift: what waits for it and what it wrote for the next."""
    return _book_page(book)


@book_route("/badge", "badge", "read")
@cheap_poll("handover_items", "handover_acks", period=60)
def badge(book: str):
    """The navigation count: items waiting for the user's shift, not yet signed on it."""
    reading, _writing = svc.acting_slots(current_user)
    count = svc.unsigned_count(book, reading)
    response = make_response(render("handover/_badge.html", count=count))
    response.headers["Cache-Control"] = "no-store"
    return response


def _me():
    """The signed-in user as the session's object (services set it on relationships)."""
    return current_user._get_current_object()


class CreateAnswer:
    """What writing an item answers: the emptied form and the new item for the top of the
    list (htmx), or the form as typed with its messages."""

    def __init__(self, book: str) -> None:
        self.book = book
        self.reading, self.writing = svc.acting_slots(current_user)

    def done(self, item: HandoverItem, message: str):
        # a new item has neither signatures nor earlier texts: nothing more to read
        response = render(TEMPLATE, block="item_form", form=ItemForm(formdata=None),
                          created=item, saved=True,
                          **_card_context(self.book, self.reading, shift_types(), [item],
                                          acks={}, revisions={}))
        return trigger(response, CHANGED)

    def refused(self, form, message):
        if is_fragment_request():
            return render(TEMPLATE, block="item_form", form=form, book=self.book)
        return _book_page(self.book, form=form)

    conflict = refused  # nobody else writes this item

    def location(self, item) -> str:
        return url_for(endpoint(self.book, "index"))


@book_route("/items", "create", "write", methods=("POST",))
def create(book: str):
    """R-H1, R-H4: write an item for the next shift (quick-add at the top of the page)."""
    form = ItemForm()
    answer = CreateAnswer(book)
    return actions.run(
        lambda: svc.write(_me(), book, category=form.category.data, text=form.text.data,
                          priority=form.priority.data, order_no=form.order_no.data,
                          customer_ref=form.customer_ref.data,
                          purchase_date=form.purchase_date.data,
                          return_tracking=form.return_tracking.data,
                          customer_request=form.customer_request.data, slot=answer.writing),
        form=form, answer=answer, done=_l("The handover item was written for the next shift."))


def _conflict_message(item: HandoverItem) -> str:
    """Tell the second person who was first (R-H2 take-over races)."""
    if item.status == "closed" and item.closed_by:
        return _("%(name)s closed this item first, at %(time)s. This is its current state.",
                 name=item.closed_by.display_name, time=_stamp(item.closed_at))
    if item.owner and item.owner_id != current_user.id:
        return _("%(name)s took this item over first, at %(time)s. This is its current state.",
                 name=item.owner.display_name, time=_stamp(item.taken_over_at))
    return _("Someone else changed this item first. This is its current state; check it and "
             "try again.")


def _stamp(moment) -> str:
    from portal import clock

    return clock.local(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


class ItemAnswer:
    """What an action on one item answers: its card swapped in place (htmx; the badges and
    cards follow ``handover-changed``). Without JavaScript a done action goes back to the
    page it came from; a refusal or a conflict shows the item's page with the message.

    It reads once what the rules and the card both use: the item with its number of earlier
    texts, the user's reading slot, the item's acks in that slot."""

    def __init__(self, book: str, item_id: int) -> None:
        self.book = book
        self.reading, _writing = svc.acting_slots(current_user)
        self.item, self.revisions = _get_item(book, item_id)
        self.acks = self._acks()

    def _acks(self) -> list:
        if not self.reading or self.item.status != "open":
            return []  # the card shows acks of open items only
        return svc.acks_in(self.reading, [self.item.id]).get(self.item.id, [])

    def card(self) -> dict:
        return _card_context(self.book, self.reading, shift_types(), [self.item],
                             acks={self.item.id: self.acks},
                             revisions={self.item.id: self.revisions})

    def row(self, message: str | None = None, close_form=None, show_close: bool = False):
        """The item's card (the book's ``item_row`` block)."""
        return render(TEMPLATE, block="item_row", item=self.item, row_message=message,
                      close_form=close_form, show_close=show_close, **self.card())

    def done(self, result, message: str):
        if isinstance(result, HandoverAck) and result not in self.acks:
            self.acks.append(result)  # the new signature or take-over shows on the card
        if self.item.status != "open":
            self.acks = []
        return trigger(self.row(), CHANGED)

    def _answer(self, status: int, message: str | None, close_form=None):
        """After a refusal or a conflict: the item as it is now (the runner rolled back)."""
        self.acks = self._acks()
        if close_form is not None and not svc.may_close(current_user, self.item):
            close_form = None  # closed meanwhile, or no longer the user's to close
        if is_fragment_request():
            return self.row(message, close_form)
        return _item_page(self.book, self.item, message=message, close_form=close_form,
                          status=status)

    def refused(self, form, message):
        typed = form if isinstance(form, CloseForm) else None
        message = message or " ".join(form.form_errors) or None
        return self._answer(422, message, typed)

    def conflict(self, form, message: str):
        self.revisions = svc.revision_counts([self.item.id]).get(self.item.id, 0)
        return self._answer(409, _conflict_message(self.item),
                            form if isinstance(form, CloseForm) else None)

    def location(self, result) -> str:
        return safe_next(request.form.get("next"), url_for(endpoint(self.book, "index")))


def _act(book: str, item_id: int, action, form, done):
    """One action on an item: ``action(user, answer)`` is the service call."""
    answer = ItemAnswer(book, item_id)
    return actions.run(lambda: action(_me(), answer), form=form, answer=answer, done=done,
                       subject=answer.item)


@book_route("/items/<int:item_id>/sign", "sign", "write", methods=("POST",))
def sign(book: str, item_id: int):
    """R-H2 签字确认: sign the item as read (name and time recorded)."""
    return _act(book, item_id,
                lambda user, a: svc.sign(user, a.item, a.reading, a.acks),
                Form(), _l("Signed as read."))


@book_route("/items/<int:item_id>/take-over", "take_over", "write", methods=("POST",))
def take_over(book: str, item_id: int):
    """R-H2 继续跟进: take the item over and follow it up."""
    form = TakeOverForm()
    return _act(book, item_id,
                lambda user, a: svc.take_over(user, a.item, form.version.data, a.reading,
                                              a.acks),
                form, _l("You follow this item up now."))


@book_route("/items/<int:item_id>/close", "close_form", "read")
def close_form(book: str, item_id: int):
    """The item card with its close form open (the form is fetched on request, not sent
    with every card of the book); without JavaScript the item's page has the form."""
    if not is_fragment_request():
        return redirect_htmx_aware(url_for(endpoint(book, "item"), item_id=item_id))
    return ItemAnswer(book, item_id).row(show_close=True)


@book_route("/items/<int:item_id>/supervisor-close", "close_any", "handover.close_any",
            methods=("POST",))
@book_route("/items/<int:item_id>/close", "close", "write", methods=("POST",))
def close(book: str, item_id: int):
    """R-H3: close the item with its resolution (its owner, or a supervisor)."""
    form = CloseForm()
    return _act(book, item_id,
                lambda user, a: svc.close(user, a.item, form.resolution.data,
                                          form.version.data),
                form, _l("The item is closed."))


def _item_page(book: str, item: HandoverItem, *, edit_form=None, status: int = 200,
               message: str | None = None, close_form=None, acks_oob: bool = False):
    reading, _writing = svc.acting_slots(current_user)
    types = shift_types()
    if edit_form is None and svc.may_edit(current_user, item):
        edit_form = EditForm(formdata=None, obj=item)
    history = svc.item_history(item)
    # the card's acks and corrections are in the history already
    here = [ack for ack in history["acks"] if reading and ack.shift_date == reading.day
            and ack.shift_type_id == reading.shift_type_id]
    return render("handover/item.html", block="item_detail", item=item, edit_form=edit_form,
                  status=status, detail_message=message, detail_error=status >= 400,
                  book_label=svc.BOOK_LABELS[book], history=history, close_form=close_form,
                  acks_oob=acks_oob and is_fragment_request(),
                  shift_names={t.id: t.label for t in types}, full=True, show_close=True,
                  **_card_context(book, reading, types, [item], acks={item.id: here},
                                  revisions={item.id: len(history["revisions"])}))


@book_route("/items/<int:item_id>", "item", "read")
def item(book: str, item_id: int):
    """One item with its whole history: signatures, take-overs, earlier texts (R-H6)."""
    return _item_page(book, _get_item(book, item_id)[0])


class DetailAnswer:
    """What a correction answers: the item's detail (card, correction form, earlier texts)."""

    def __init__(self, book: str, item: HandoverItem) -> None:
        self.book, self.item = book, item

    def done(self, item: HandoverItem, message: str):
        return trigger(_item_page(self.book, item, message=message), CHANGED)

    def refused(self, form, message):
        return _item_page(self.book, self.item, edit_form=form, status=422)

    def conflict(self, form, message: str):
        # the item as it is now, and the correction as typed (if it is still the user's)
        typed = form if svc.may_edit(current_user, self.item) else None
        return _item_page(self.book, self.item, edit_form=typed, status=409,
                          message=_conflict_message(self.item), acks_oob=True)

    def location(self, item: HandoverItem) -> str:
        return url_for(endpoint(self.book, "item"), item_id=item.id)


@book_route("/items/<int:item_id>/edit", "edit", "write", methods=("POST",))
def edit(book: str, item_id: int):
    """R-H6: correct the text of one's own open item; the earlier text is kept."""
    item, _revisions = _get_item(book, item_id)
    form = EditForm()
    return actions.run(lambda: svc.edit(_me(), item, form.text.data, form.version.data),
                       form=form, answer=DetailAnswer(book, item), subject=item,
                       done=_l("The correction was saved; the earlier text is kept below."))


HISTORY_ARGS = ("q", "category", "status", "author", "date_from", "date_to")
HISTORY_PAGE = 50  # rows of the history page
HISTORY_FETCH = 10  # rows of an htmx answer (a search as one types, each "more")


@book_route("/history", "history", "read")
def history(book: str):
    """R-H6: every item ever written in the book; search and filters, newest first."""
    return _history(book, "history_table")


@book_route("/history/rows", "history_rows", "read")
def history_rows(book: str):
    """The next rows of the history (its "more" row), in the same filters."""
    return _history(book, "history_rows")


def _history(book: str, block: str):
    form = HistoryFilterForm()
    readable = [b for b in svc.BOOKS if current_user.can(f"handover.{b}.read")]
    form.book.choices = choices((b, _l(svc.BOOK_LABELS[b])) for b in readable)
    chosen = request.args.get("book")
    if chosen and chosen != book and chosen in readable:
        args = {k: v for k, v in request.args.items() if k in HISTORY_ARGS and v}
        return redirect_htmx_aware(url_for(endpoint(chosen, "history"), **args))
    form.book.data = book
    fragment = is_fragment_request()
    if not fragment:
        # the book's writers, deactivated ones too (their items stay theirs); asking the
        # items table which authors it holds would read every row of a large book
        writers = [role for role in ROLES if role_can(role, f"handover.{book}.write")]
        authors = db.session.execute(sa.select(User.id, User.display_name)
                                     .where(User.role.in_(writers))
                                     .order_by(User.display_name))
        form.author.choices = choices([("", _l("Anyone"))]
                                      + [(str(uid), name) for uid, name in authors])
    valid = form.validate()
    query = svc.history_query(
        book,
        q=form.q.data if valid else None,
        category=form.category.data if valid and form.category.data in svc.CATEGORIES else None,
        status=form.status.data if valid else None,
        author_id=form.author.data if valid else None,
        date_from=form.date_from.data if valid else None,
        date_to=form.date_to.data if valid else None,
    )
    page = svc.history_page(query, before=request.args.get("before"),
                            after=None if fragment else request.args.get("after"),
                            per_page=HISTORY_FETCH if fragment else HISTORY_PAGE)
    args = {k: v for k, v in request.args.items() if k in HISTORY_ARGS and v}
    return render("handover/history.html", block=block, form=form, page=page,
                  book=book, book_label=svc.BOOK_LABELS[book], args=args,
                  # translated once per request, not once per row
                  categories={code: _(label) for code, label in svc.CATEGORIES.items()},
                  statuses={code: _(label) for code, label in svc.STATUSES.items()},
                  urgent=_("Urgent"), more_rows=fragment,
                  revisions=svc.revision_counts(i.id for i in page.items),
                  status=200 if valid else 422)


# --- navigation, cards, audit ---------------------------------------------------------------


def _waiting_card(book: str):
    def context(user) -> dict:
        reading, _writing = svc.acting_slots(user)
        return {"book": book, "slot": reading,
                "count": svc.unsigned_count(book, reading),
                "items": svc.unsigned_items(book, reading)}

    return context


_audit_names = namer(HandoverItem, HandoverItem.text,
                     fmt=lambda ident, text: f"#{ident} {text[:30]}")


def register(app) -> None:
    """Navigation entries (with their badge), Today cards, audit words and score-entry links
    of the handover book."""
    from portal.ui import (
        Card,
        LinkSource,
        NavItem,
        register_audit,
        register_card,
        register_link_source,
        register_nav,
    )

    register_link_source(app, "handover_item", LinkSource(
        N_("Handover item"), svc.link_query, svc.link_text, svc.link_url))
    for order, book in enumerate(svc.BOOKS):
        register_nav(app, NavItem(
            endpoint(book, "index"), _l(svc.BOOK_LABELS[book]), f"handover.{book}.read",
            order=10 + order, active_prefix=f"handover.{book}_",
            badge_endpoint=endpoint(book, "badge"), badge_event=CHANGED))
        # R-H2: staff of the book see what waits for their shift
        register_card(app, Card(f"handover-{book}", _l("Handover items waiting for my shift"),
                                f"handover.{book}.write", "handover/_card_waiting.html",
                                _waiting_card(book), order=20 + order,
                                stylesheet="css/handover.css", events=(CHANGED,)))
    register_card(app, Card("handover-attention", _l("Handover book: needs attention"),
                            "handover.close_any", "handover/_card_attention.html",
                            lambda user: svc.supervisor_attention(), order=25,
                            stylesheet="css/handover.css", events=(CHANGED,)))
    register_audit(
        app,
        actions={
            "handover.created": N_("Handover item written"),
            "handover.signed": N_("Handover item signed as read"),
            "handover.taken_over": N_("Handover item taken over"),
            "handover.closed": N_("Handover item closed"),
            "handover.edited": N_("Handover item corrected"),
        },
        fields={  # a field another area named already keeps its first name
            "book": N_("Book"), "category": N_("Category"), "priority": N_("Priority"),
            "text": N_("Text"), "order_no": N_("Order number"),
            "customer_ref": N_("Customer ID"), "purchase_date": N_("Purchase date"),
            "return_tracking": N_("Return tracking number"),
            "customer_request": N_("What the customer asks for"), "status": N_("Status"),
            "resolution": N_("Resolution"), "owner": N_("Followed up by"),
        },
        values={"book": svc.BOOK_LABELS, "category": svc.CATEGORIES,
                "priority": svc.PRIORITIES, "status": svc.STATUSES},
        target=("handover_items", N_("Handover item"), _audit_names),
    )
