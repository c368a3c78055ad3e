"""Daily-record lines in the one search box (portal/search): the question is the title,
the answer the text; a line is found by its author and by whoever oversees the records."""

from flask_babel import lazy_gettext as _l

from portal.search import Doc, Source, link, register_source
from portal.worklog.models import WorkLine


def doc(line) -> Doc:
    return Doc(line.question or "", line.answer or "", line.created_at,
               ("worklog_all", f"worklog_user_{line.user_id}"),
               ref=f"{line.user_id}:{line.day.isoformat()}" if line.day else "")


def keys_for(user) -> tuple[str, ...]:
    if user.can("worklog.oversee"):
        return ("worklog_all",)
    if user.can("worklog.own"):
        return (f"worklog_user_{user.id}",)
    return ()


def url(ref_id: int, ref: str) -> str | None:
    user_id, _, day = ref.partition(":")
    if not day:
        return None
    return link("worklog.day", user=int(user_id), day=day, _anchor=f"line-{ref_id}")


def register(app) -> None:
    register_source(app, Source(
        kind="workline", label=_l("Work record"), model=WorkLine, order=20,
        columns=("question", "answer", "user_id", "day", "created_at"),
        doc=doc, keys_for=keys_for, url=url))
