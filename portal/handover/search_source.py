"""Handover items in the one search box (portal/search) and in the book's history search:
the item's text is the title, its resolution, request and references the text; found by
readers of its book (R-H5)."""

from flask_babel import lazy_gettext as _l

from portal.handover.models import HandoverItem
from portal.search import Doc, Source, link, register_source

BOOKS = ("desk", "showroom")


def doc(item) -> Doc:
    body = "\n".join(part for part in (item.text, item.resolution, item.customer_request,
                                       item.order_no, item.customer_ref, item.return_tracking)
                     if part)
    return Doc((item.text or "")[:120], body, item.created_at, (f"handover_{item.book}",),
               ref=item.book)


def keys_for(user) -> tuple[str, ...]:
    return tuple(f"handover_{book}" for book in BOOKS if user.can(f"handover.{book}.read"))


def register(app) -> None:
    register_source(app, Source(
        kind="handover", label=_l("Handover item"), model=HandoverItem, order=40,
        columns=("text", "resolution", "customer_request", "order_no", "customer_ref",
                 "return_tracking", "book", "created_at"),
        doc=doc, keys_for=keys_for,
        url=lambda ref_id, ref: link(f"handover.{ref}_item", item_id=ref_id)
        if ref in BOOKS else None))
