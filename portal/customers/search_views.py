"""The customer list and its one search box (/customers/, issue 17 item 7).

The box finds people the way they tell us (see ``search``); the same page lists everyone
newest first with filters. An htmx request answers the results only. Phones in the list are
masked unless the user may see them (``privacy.sees_contacts``); showing them in full to
someone who is not the customer's owner is audited, once per page.
"""

import sqlalchemy as sa
from flask import request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal import audit
from portal.auth.decorators import require
from portal.customers import bp
from portal.customers import search as svc
from portal.customers.classes import CLASSES
from portal.customers.models import KINDS, CustomerTag
from portal.customers.privacy import mask_phone, sees_contacts
from portal.customers.search_forms import CustomerSearchForm
from portal.extensions import db
from portal.i18n import N_
from portal.web import render

TEMPLATE = "customers/search/index.html"
PER_PAGE = 10  # a page of results, with everything a row may show, stays a 5 KB fragment
KEPT = ("q", "kind", "value_class", "tag", "mine")  # what the "older" link carries


def value_classes() -> dict:
    """The value classes' codes and labels (portal.customers.classes)."""
    return CLASSES


def _tags() -> list[CustomerTag]:
    return list(db.session.scalars(sa.select(CustomerTag).where(CustomerTag.active)
                                   .order_by(CustomerTag.name)))


def _filters(form: CustomerSearchForm, tags, classes) -> svc.Filters:
    tag = form.known(form.tag, {str(t.id) for t in tags})
    return svc.Filters(kind=form.known(form.kind, KINDS),
                       value_class=form.known(form.value_class, classes),
                       owner_id=current_user.id if form.mine.data else None,
                       tag_id=int(tag) if tag else None)


def _phones(found) -> dict:
    """Each customer's phones as this user may see them; a full view by someone who is not
    the owner is recorded (R-C8)."""
    shown, full_to_other = {}, []
    for customer in found.items:
        full = sees_contacts(current_user, customer)
        phones = customer.phones
        shown[customer.id] = phones if full else [mask_phone(p) for p in phones]
        if full and phones and customer.owner_id != current_user.id:
            full_to_other.append(customer.id)
    if full_to_other:
        audit.record("customers.contacts_listed",
                     details={"customers": full_to_other, "via": "search"})
    return shown


@bp.route("/", endpoint="index")
@require("customers.view")
def index():
    """Customers newest first, with the one search box and the filters."""
    tags, classes = _tags(), value_classes()
    form = CustomerSearchForm(tags=tags, classes=classes)
    if not form.validate():
        return render(TEMPLATE, block="customer_results", status=400, form=form,
                      found=svc.Found([], None), phones={}, args={}, searched=False,
                      kinds=KINDS, classes=classes)
    filters = _filters(form, tags, classes)
    text = (form.q.data or "").strip()
    before = form.before.data
    if text:
        found = svc.search(text, filters, before=before, per_page=PER_PAGE)
    else:
        found = svc.listing(filters, before=before, per_page=PER_PAGE)
    args = {k: v for k, v in request.args.items() if k in KEPT and v}
    return render(TEMPLATE, block="customer_results", form=form, found=found,
                  phones=_phones(found), args=args, searched=bool(text), paged=bool(before),
                  kinds=KINDS, classes=classes)


def register(app) -> None:
    """Navigation entry, the header's search box, audit words."""
    from portal.ui import NavItem, register_audit, register_nav

    register_nav(app, NavItem("customers.index", _l("Customers"), "customers.view", order=55,
                              active_prefix=("customers.index", "customers.record")))
    svc.init_app(app)
    register_audit(app, actions={
        "customers.contacts_listed": N_("Customers' phones shown in full in a list"),
    })
