"""The customer record and its story page (issue 17 items 1, 4, 8): ``customers.record``
shows the header (contacts masked per R-C8, class, tags, owner, open items) and the story,
keyset-paged; the header, contacts and notes are edited in place; the shared tag set; a
customer entered by hand; a customer's data exported or anonymised on request."""

from flask import abort, flash, make_response, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.exceptions import NotFound

from portal import actions, clock
from portal.actions import NotAllowed
from portal.audit.services import namer
from portal.auth.decorators import require
from portal.customers import bp, records, story
from portal.customers.attach import live
from portal.customers.models import CONTACT_KINDS, KINDS, SOURCES, Customer, CustomerTag
from portal.customers.privacy import mask_address, mask_phone, sees_contacts
from portal.customers.record_forms import (
    ContactForm,
    NewCustomerForm,
    NoteForm,
    RecordForm,
    RequestForm,
    TagActiveForm,
    TagEditForm,
    TagForm,
    TakeForm,
)
from portal.extensions import db
from portal.forms import INT_MAX
from portal.i18n import N_
from portal.web import is_fragment_request, render

PAGE = "customers/record/page.html"
TAGS = "customers/record/tags.html"
NEW = "customers/record/new.html"
DATA = "customers/record/data.html"


def _customer(customer_id: int) -> Customer:
    if customer_id > INT_MAX:
        raise NotFound()
    return db.get_or_404(Customer, customer_id)


# --- what the page shows ---------------------------------------------------------------------


def shown_contacts(customer: Customer, full: bool) -> list[dict]:
    """The contacts as the reader may see them: phones and addresses masked unless ``full``
    (buyer and WeChat IDs are how staff find a person: shown). A contact two merged
    customers both had shows once."""
    shown, seen = [], set()
    for contact in customer.contacts:
        if (contact.kind, contact.platform, contact.value) in seen:
            continue
        seen.add((contact.kind, contact.platform, contact.value))
        value, label = contact.value, contact.label
        if not full and contact.kind == "phone":
            value = mask_phone(value)
        elif not full and contact.kind == "address":
            value, label = mask_address(value), (label[:1] + "*" if label else "")
        shown.append({"kind": contact.kind, "platform": contact.platform, "value": value,
                      "label": label})
    return shown


def _words() -> dict:
    """The labels the story's items need (passed, not imported by the templates)."""
    from portal.aftersales.cases import STATES as CASE_STATES
    from portal.aftersales.cases import TYPES as CASE_TYPES
    from portal.aftersales.visits import OUTCOMES
    from portal.customers.call_models import PLAN_KINDS
    from portal.customers.call_models import RESULTS as CALL_RESULTS
    from portal.orders.orders import PLATFORMS, STAGES
    from portal.orders.registers import WAIT_STATES
    from portal.orders.remarks import KINDS as REMARK_KINDS
    from portal.orders.remarks import TEXTS as REMARK_TEXTS
    from portal.reception.visitors import PURPOSES
    from portal.reception.visitors import SOURCES as VISIT_SOURCES

    return {"stages": STAGES, "platforms": PLATFORMS, "case_states": CASE_STATES,
            "case_types": CASE_TYPES, "outcomes": OUTCOMES, "wait_states": WAIT_STATES,
            "remark_kinds": REMARK_KINDS, "remark_texts": REMARK_TEXTS, "purposes": PURPOSES,
            "visit_sources": VISIT_SOURCES, "kinds": KINDS, "sources": SOURCES,
            "contact_kinds": CONTACT_LABELS, "call_results": CALL_RESULTS,
            "plan_kinds": PLAN_KINDS}


# the contacts' labels on the page ("Address" alone is an IP address elsewhere in the
# catalogues)
CONTACT_LABELS = CONTACT_KINDS


def _header_context(customer: Customer, **extra) -> dict:
    full = customer.owner_id is not None and customer.owner_id == current_user.id
    context = {
        "customer": customer, "survivor": live(customer) if customer.merged_into_id else None,
        "contacts": shown_contacts(customer, full), "contacts_full": full,
        "may_reveal": not full and sees_contacts(current_user, customer),
        "may_edit": current_user.can("customers.edit") and customer.merged_into_id is None,
        "words": _words(),
    }
    context.update(extra)
    return context


def _page_context(customer: Customer, open_items: dict | None = None, **extra) -> dict:
    context = _header_context(customer)
    context.update({
        "open": open_items if open_items is not None else story.open_items(
            customer, clock.today()),
        "page": story.page(customer, request.args.get("before")),
        "sources": story.sources(),
        "contact_form": ContactForm(formdata=None),
        "note_form": NoteForm(formdata=None),
    })
    context.update(extra)
    return context


@bp.route("/<int:customer_id>", endpoint="record")
@require("customers.view")
def record(customer_id: int):
    """A customer's page: the header and the whole story, newest first."""
    if is_fragment_request() and request.args.get("before"):
        customer = _customer(customer_id)
        return render(PAGE, block="story_page", **_header_context(
            customer, page=story.page(customer, request.args.get("before")),
            sources=story.sources()))
    if customer_id > INT_MAX:
        raise NotFound()
    found = story.load(customer_id, clock.today())
    if found is None:
        raise NotFound()
    return render(PAGE, **_page_context(*found))


@bp.route("/for-order", endpoint="for_order")
@require("customers.view")
def for_order():
    """The customer of an order number (a handover item names only the number)."""
    import sqlalchemy as sa

    from portal.orders.models import Order

    order_no = (request.args.get("order_no") or "").strip()[:40]
    if not order_no:
        abort(404)
    customer_id = db.session.scalar(
        sa.select(Order.customer_id).where(Order.order_no == order_no,
                                           Order.customer_id.is_not(None)).limit(1))
    if customer_id is None:
        abort(404)
    return redirect(url_for("customers.record", customer_id=customer_id), 303)


# --- the header, edited in place (item 1) ----------------------------------------------------


def _record_form(customer: Customer, formdata=None) -> RecordForm:
    if formdata is None:
        form = RecordForm(formdata=None, obj=customer)
        form.tags.data = [t.id for t in customer.tags]
        form.version.data = customer.version
    else:
        form = RecordForm()
    _fill_choices(form, customer)
    return form


def _fill_choices(form: RecordForm, customer: Customer) -> None:
    nobody = [("", _("Nobody"))]
    if current_user.can("customers.manage"):
        people = [(str(u.id), u.display_name) for u in records.agents()]
        if customer.owner and str(customer.owner_id) not in {p[0] for p in people}:
            people.append((str(customer.owner_id), customer.owner.display_name))
    elif customer.owner_id is None:
        people = [(str(current_user.id), current_user.display_name)]
    else:
        people, nobody = [(str(customer.owner_id), customer.owner.display_name)], []
    form.owner_id.choices = nobody + people
    tags = records.active_tags()
    ids = {t.id for t in tags}
    tags += [t for t in customer.tags if t.id not in ids]
    form.tags.choices = [(t.id, t.local_name) for t in sorted(tags, key=lambda t: t.name)]


class _OnRecord:
    """An answer of an action on one customer; without JavaScript, back to their page."""

    def __init__(self, customer: Customer) -> None:
        self.customer = customer

    def location(self, result) -> str:
        return url_for("customers.record", customer_id=self.customer.id)


class HeaderAnswer(_OnRecord):
    """The header answers its edits in place: the record after a save, the form with its
    messages after a refusal, the form as typed beside the record as it is now after a
    conflict."""

    def _form(self, form, message=None, conflict=False):
        if not is_fragment_request():
            return render(PAGE, **_page_context(self.customer, form=form, form_message=message,
                                                conflict=conflict))
        return render(PAGE, block="header", **_header_context(
            self.customer, form=form, form_message=message, conflict=conflict,
            open=story.open_items(self.customer, clock.today())))

    def done(self, customer, message):
        return render(PAGE, block="header", **_header_context(
            customer, header_message=message, open=story.open_items(customer, clock.today())))

    def _view(self, message):
        """The header as it is, with the refusal (a one-button action: nothing typed)."""
        if not is_fragment_request():
            flash(message, "error")
            return render(PAGE, **_page_context(self.customer))
        return render(PAGE, block="header", **_header_context(
            self.customer, header_error=message,
            open=story.open_items(self.customer, clock.today())))

    def refused(self, form, message):
        if form is None or isinstance(form, TakeForm):
            return self._view(message or " ".join(form.form_errors))
        return self._form(form, message)

    def conflict(self, form, message):
        if form is None or isinstance(form, TakeForm):
            return self._view(message)
        _fill_choices(form, self.customer)
        return self._form(form, message, conflict=True)



@bp.route("/<int:customer_id>/edit", methods=["GET", "POST"], endpoint="edit")
@require("customers.edit")
def edit(customer_id: int):
    """The header's edit form (GET), saved in place (POST)."""
    customer = _customer(customer_id)
    if request.method == "GET":
        form = _record_form(customer)
        if is_fragment_request():
            return render(PAGE, block="header", **_header_context(
                customer, form=form, open=story.open_items(customer, clock.today())))
        return render(PAGE, **_page_context(customer, form=form))
    form = _record_form(customer, request.form)
    return actions.run(
        lambda: records.update(current_user, customer, form.version.data, name=form.name.data,
                               kind=form.kind.data, owner_id=form.owner_id.data,
                               marketing_consent=form.marketing_consent.data,
                               need_notes=form.need_notes.data, tag_ids=form.tags.data or []),
        form=form, answer=HeaderAnswer(customer), done=_l("Saved."), subject=customer)


@bp.route("/<int:customer_id>/take", methods=["POST"], endpoint="take")
@require("customers.edit")
def take(customer_id: int):
    """An agent takes an unowned customer."""
    customer = _customer(customer_id)
    form = TakeForm()
    return actions.run(lambda: records.take(current_user, customer, form.version.data),
                       form=form, answer=HeaderAnswer(customer),
                       done=_l("You keep this customer now."), subject=customer)


# --- contacts (items 1 and 8) ----------------------------------------------------------------


@bp.route("/<int:customer_id>/contacts", endpoint="reveal_contacts")
@require("customers.view")
def reveal_contacts(customer_id: int):
    """The contacts in full, to the owner and holders of customers.contacts (audited)."""
    customer = _customer(customer_id)
    try:
        records.reveal_contacts(current_user, customer)
    except NotAllowed as error:
        from portal.auth.decorators import refuse

        refuse(error.permission)
    context = _header_context(customer, contacts=shown_contacts(customer, True),
                              contacts_full=True, may_reveal=False,
                              contact_form=ContactForm(formdata=None))
    if is_fragment_request():
        return render(PAGE, block="contacts", **context)
    return render(PAGE, **_page_context(customer, **{k: v for k, v in context.items()
                                                     if k.startswith("contact")}))


class ContactAnswer(_OnRecord):
    """The contacts block answers a contact added (or refused) in place."""

    def _block(self, form, status_message=None):
        full = sees_contacts(current_user, self.customer)
        context = _header_context(self.customer, contacts=shown_contacts(self.customer, full),
                                  contacts_full=full, may_reveal=False, contact_form=form,
                                  contact_message=status_message)
        if not is_fragment_request():
            return render(PAGE, **_page_context(self.customer, **{
                k: v for k, v in context.items() if k.startswith("contact")}))
        return render(PAGE, block="contacts", **context)

    def done(self, contact, message):
        return self._block(ContactForm(formdata=None), message)

    def refused(self, form, message):
        return self._block(form)

    conflict = refused



@bp.route("/<int:customer_id>/contacts", methods=["POST"], endpoint="add_contact")
@require("customers.edit")
def add_contact(customer_id: int):
    """Add a phone or a WeChat ID by hand."""
    customer = _customer(customer_id)
    form = ContactForm()
    return actions.run(
        lambda: records.add_hand_contact(current_user, customer, form.kind.data, form.value.data),
        form=form, answer=ContactAnswer(customer), done=_l("Contact added."))


# --- notes -----------------------------------------------------------------------------------


class NoteAnswer(_OnRecord):
    """The note form answers in place; the new note goes on top of the story."""

    def done(self, note, message):
        return render(PAGE, block="note_form", customer=self.customer,
                      note_form=NoteForm(formdata=None), note_message=message,
                      created=story.item(self.customer, "note", note.id),
                      sources=story.sources(), words=_words(), page=None)

    def refused(self, form, message):
        if not is_fragment_request():
            return render(PAGE, **_page_context(self.customer, note_form=form))
        return render(PAGE, block="note_form", customer=self.customer, note_form=form,
                      created=None, sources=story.sources(), words=_words(), page=None)

    conflict = refused



@bp.route("/<int:customer_id>/notes", methods=["POST"], endpoint="add_note")
@require("customers.edit")
def add_note(customer_id: int):
    """Add a note (kept, never edited)."""
    customer = _customer(customer_id)
    form = NoteForm()
    return actions.run(lambda: records.add_note(current_user, customer, form.body.data),
                       form=form, answer=NoteAnswer(customer), done=_l("Note added."))


# --- a customer by hand ----------------------------------------------------------------------


class NewAnswer:
    """A customer entered: their page; refused: the form with its messages."""

    def done(self, customer, message):
        from portal.web import redirect_htmx_aware

        flash(message, "success")
        return redirect_htmx_aware(self.location(customer))

    def refused(self, form, message):
        return render(NEW, block="new_form", form=form)

    conflict = refused

    def location(self, customer) -> str:
        return url_for("customers.record", customer_id=customer.id)


@bp.route("/new", methods=["GET", "POST"], endpoint="new")
@require("customers.edit")
def new():
    """Enter a customer by hand (the manual source)."""
    form = NewCustomerForm()
    if request.method == "GET":
        return render(NEW, form=NewCustomerForm(formdata=None))
    return actions.run(
        lambda: records.create(current_user, name=form.name.data, kind=form.kind.data,
                               phone=form.phone.data, wechat=form.wechat.data,
                               marketing_consent=form.marketing_consent.data,
                               need_notes=form.need_notes.data),
        form=form, answer=NewAnswer(), done=_l("Customer entered."))


# --- the shared tag set ----------------------------------------------------------------------


def _tag_edit_form(tag: CustomerTag) -> TagEditForm:
    form = TagEditForm(formdata=None, obj=tag, prefix=f"tag{tag.id}")
    for locale in ("zh_TW", "en"):
        form[f"name_{locale}"].data = (tag.names or {}).get(locale, "")
    form.version.data = tag.version
    return form


class TagRowAnswer:
    """A tag's row answers its rename and (de)activation in place."""

    def __init__(self, tag: CustomerTag) -> None:
        self.tag = tag

    def _row(self, form=None, message=None, ok=False):
        if not is_fragment_request():
            if message and not ok:
                flash(message, "error")
            return render(TAGS, tags=records.all_tags(), form=TagForm(formdata=None),
                          forms={t.id: _tag_edit_form(t) for t in records.all_tags()})
        return render("customers/record/_tag_row.html", tag=self.tag,
                      edit_form=form or _tag_edit_form(self.tag), row_message=message,
                      row_ok=ok)

    def done(self, tag, message):
        return self._row(None, message, True)

    def refused(self, form, message):
        return self._row(form if isinstance(form, TagEditForm) else None, message)

    def conflict(self, form, message):
        return self._row(form if isinstance(form, TagEditForm) else None, message)

    def location(self, tag) -> str:
        return url_for("customers.tags")


class TagListAnswer:
    def done(self, tag, message):
        return render(TAGS, block="tag_list", tags=records.all_tags(),
                      form=TagForm(formdata=None), form_message=message,
                      forms={t.id: _tag_edit_form(t) for t in records.all_tags()})

    def refused(self, form, message):
        return render(TAGS, block="tag_list" if is_fragment_request() else None,
                      tags=records.all_tags(), form=form,
                      forms={t.id: _tag_edit_form(t) for t in records.all_tags()})

    conflict = refused

    def location(self, tag) -> str:
        return url_for("customers.tags")


@bp.route("/tags", endpoint="tags")
@require("customers.manage")
def tags():
    """The shared tag set (企业微信-style shared tags), kept by the supervisor."""
    every = records.all_tags()
    return render(TAGS, tags=every, form=TagForm(formdata=None),
                  forms={t.id: _tag_edit_form(t) for t in every})


@bp.route("/tags", methods=["POST"], endpoint="create_tag")
@require("customers.manage")
def create_tag():
    """Add a tag to the shared set."""
    form = TagForm()
    return actions.run(lambda: records.create_tag(current_user, form.name.data, form.names()),
                       form=form, answer=TagListAnswer(), done=_l("Tag added."))


def _tag(tag_id: int) -> CustomerTag:
    if tag_id > INT_MAX:
        raise NotFound()
    return db.get_or_404(CustomerTag, tag_id)


@bp.route("/tags/<int:tag_id>", methods=["POST"], endpoint="rename_tag")
@require("customers.manage")
def rename_tag(tag_id: int):
    """Rename a tag (its names per language)."""
    tag = _tag(tag_id)
    form = TagEditForm(prefix=f"tag{tag.id}")
    return actions.run(
        lambda: records.rename_tag(current_user, tag, form.version.data, form.name.data,
                                   form.names()),
        form=form, answer=TagRowAnswer(tag), done=_l("Tag renamed."), subject=tag)


@bp.route("/tags/<int:tag_id>/active", methods=["POST"], endpoint="toggle_tag")
@require("customers.manage")
def toggle_tag(tag_id: int):
    """Deactivate a tag (customers keep it until someone takes it off) or bring it back."""
    tag = _tag(tag_id)
    form = TagActiveForm()
    active = request.form.get("active") == "1"
    return actions.run(
        lambda: records.set_tag_active(current_user, tag, form.version.data, active),
        form=form, answer=TagRowAnswer(tag),
        done=_l("Tag in use again.") if active else _l("Tag deactivated."), subject=tag)


# --- a customer's data on request (item 8) ---------------------------------------------------


def _data_page(customer, export_form=None, anonymise_form=None, status=200, message=None):
    def fresh(prefix):
        form = RequestForm(formdata=None, prefix=prefix)
        form.version.data = customer.version
        return form

    return render(DATA, status=status, customer=customer, message=message,
                  export_form=export_form or fresh("export"),
                  anonymise_form=anonymise_form or fresh("anonymise"))


@bp.route("/<int:customer_id>/data", endpoint="data_request")
@require("customers.manage")
def data_request(customer_id: int):
    """A data request: export the customer's data, or anonymise it (confirmation step)."""
    return _data_page(_customer(customer_id))


@bp.route("/<int:customer_id>/export", methods=["POST"], endpoint="export")
@require("customers.manage")
def export(customer_id: int):
    """One xlsx of the customer's data (audited with the reason)."""
    from werkzeug.exceptions import BadRequest

    customer = _customer(customer_id)
    form = RequestForm(prefix="export")
    if not form.validate_on_submit():
        if "csrf_token" in form.errors or "version" in form.errors:
            raise BadRequest()
        return _data_page(customer, export_form=form, status=422)
    # the form refused a blank reason already (the service's own check never fires here)
    data = records.export_workbook(current_user, customer, form.reason.data)
    response = make_response(data)
    response.headers["Content-Type"] = (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response.headers["Content-Disposition"] = \
        f'attachment; filename="customer-{customer.id}.xlsx"'
    response.headers["Cache-Control"] = "no-store"
    return response  # the audit row commits at the request's end (actions.commit_request)


class AnonymiseAnswer(_OnRecord):
    def done(self, customer, message):
        from portal.web import redirect_htmx_aware

        flash(message, "success")
        return redirect_htmx_aware(self.location(customer))

    def refused(self, form, message):
        return _data_page(self.customer, anonymise_form=form, message=message)

    def conflict(self, form, message):
        return _data_page(self.customer, anonymise_form=form, message=message)



@bp.route("/<int:customer_id>/anonymise", methods=["POST"], endpoint="anonymise")
@require("customers.manage")
def anonymise(customer_id: int):
    """Replace the customer's names and contacts; the history stays (cannot be undone)."""
    customer = _customer(customer_id)
    form = RequestForm(prefix="anonymise")
    return actions.run(
        lambda: records.anonymise(current_user, customer, form.version.data, form.reason.data),
        form=form, answer=AnonymiseAnswer(customer), done=_l("The customer is anonymised."),
        subject=customer)


# --- registration ----------------------------------------------------------------------------


def register(app) -> None:
    """The story's sources, the tag list's navigation entry, audit words."""
    from portal.ui import NavItem, register_audit, register_nav

    story.init_app(app)
    register_nav(app, NavItem("customers.tags", _l("Customer tags"), "customers.manage",
                              order=61, active_prefix="customers.tag"))
    register_audit(
        app,
        actions={
            "customers.created": N_("Customer entered by hand"),
            "customers.edited": N_("Customer record changed"),
            "customers.contact_added": N_("Customer contact added"),
            "customers.contacts_viewed": N_("Customer contacts viewed in full"),
            "customers.exported": N_("Customer data exported on request"),
            "customers.anonymised": N_("Customer anonymised on request"),
            "customers.tag_created": N_("Customer tag added"),
            "customers.tag_renamed": N_("Customer tag renamed"),
            "customers.tag_deactivated": N_("Customer tag deactivated"),
            "customers.tag_activated": N_("Customer tag in use again"),
        },
        fields={"name": N_("Name"), "kind": N_("Kind"), "owner_id": N_("Owner"),
                "marketing_consent": N_("Marketing consent"),
                "need_notes": N_("Needs and interests"), "tags": N_("Tags"),
                "names": N_("Names in other languages"), "active": N_("In use")},
        values={"kind": dict(KINDS)},
    )
    register_audit(app, target=("customers", N_("Customer"), namer(Customer, Customer.name)))
    register_audit(app, target=("customer_tags", N_("Customer tag"),
                                namer(CustomerTag, CustomerTag.name)))
