"""Complaints in the one search box (portal/search): what the customer said is the title,
what they ask for and the answer given the text; found by readers of the register."""

from flask_babel import lazy_gettext as _l

from portal.complaints.models import Complaint
from portal.search import Doc, Source, link, register_source


def doc(complaint) -> Doc:
    body = "\n".join(part for part in (complaint.said, complaint.asks, complaint.answer)
                     if part)
    return Doc((complaint.said or "")[:120], body, complaint.received_at, ("complaints",))


def keys_for(user) -> tuple[str, ...]:
    return ("complaints",) if user.can("complaints.view") else ()


def register(app) -> None:
    register_source(app, Source(
        kind="complaint", label=_l("Complaint"), model=Complaint, order=30,
        columns=("said", "asks", "answer", "received_at"),
        doc=doc, keys_for=keys_for,
        url=lambda ref_id, ref: link("complaints.show", complaint_id=ref_id)))
