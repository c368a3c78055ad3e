"""Importing orders from a platform's export (issue 6 item 2): the upload form with the
recent imports, the preview of one import (what will be created, the duplicates and the
wrong rows with why), confirming or discarding it, and its problems as a CSV file.
"""


from flask import Response, abort, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.file import FileField, FileRequired
from werkzeug.routing import BuildError
from wtforms import SelectField
from wtforms.validators import AnyOf

from portal import actions, clock
from portal.audit.services import namer
from portal.auth.decorators import require
from portal.exports import csv_bytes
from portal.extensions import db
from portal.forms import Form, VersionedForm, choices
from portal.i18n import N_
from portal.orders import bp
from portal.orders import import_presets as presets
from portal.orders import importer as svc
from portal.orders.models import OrderImport
from portal.orders.orders import PLATFORMS, STAGES
from portal.web import is_fragment_request, redirect_htmx_aware, render

INDEX = "orders/imports/index.html"
PREVIEW = "orders/imports/preview.html"
PROBLEM_KINDS = {"duplicate": N_("Duplicate"), "error": N_("Wrong row"),
                 "skip": N_("Not for the desk")}
ACCEPT = (".csv,.xlsx,text/csv,"
          "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


class UploadForm(Form):
    """A platform's export to preview: which platform, and the file."""

    platform = SelectField(_l("Platform"), validate_choice=False, validators=[
        AnyOf(["", *PLATFORMS], message=_l("Choose a platform from the list."))])
    file = FileField(_l("Export file"), validators=[
        FileRequired(_l("Choose the exported file (CSV or XLSX)."))])


def _upload_form(submitted: bool = False) -> UploadForm:
    # Flask-WTF reads the posted fields and files itself; None gives a fresh form
    form = UploadForm() if submitted else UploadForm(formdata=None)
    form.platform.choices = choices([("", _l("— as the file says —"))]
                                    + [(code, _l(label)) for code, label in PLATFORMS.items()])
    return form


def _get(import_id: int) -> OrderImport:
    record = db.session.get(OrderImport, import_id)
    if record is None:
        abort(404)
    return record


def _orders_url() -> str | None:
    """The orders list, once it exists."""
    try:
        return url_for("orders.index")
    except BuildError:
        return None


def _index(form=None, status: int = 200, block: str | None = None):
    whole = block is None or not is_fragment_request()
    return render(INDEX, block=block, status=status, form=form or _upload_form(),
                  imports=svc.recent() if whole or block == "import_history" else [],
                  fields=svc.FIELDS, field_labels=svc.FIELD_LABELS, platforms=PLATFORMS,
                  states=svc.STATES, max_mb=svc.MAX_MB, accept=ACCEPT,
                  presets=presets.PRESETS, orders_url=_orders_url())


@bp.route("/import")
@require("orders.import")
def import_form():
    """The upload form (platform and file) and the recent imports."""
    return _index(block="import_history")


class UploadAnswer:
    """An upload leads to its preview; a file refused is answered next to the field."""

    def done(self, record: OrderImport, message: str):
        return redirect_htmx_aware(self.location(record))

    def refused(self, form, message):
        return _index(form, status=422, block="import_upload")

    conflict = refused  # nothing is shared while uploading: never raised

    def location(self, record: OrderImport) -> str:
        return url_for("orders.import_preview", import_id=record.id)


def _too_large(form: UploadForm):
    """A file over the limit: 413 (htmx needs a 422 to show it next to the field)."""
    form.file.errors = [_("The file is larger than %(mb)d MB: split it into smaller files.",
                          mb=svc.MAX_MB)]
    return _index(form, status=422 if is_fragment_request() else 413, block="import_upload")


@bp.route("/import", methods=["POST"])
@require("orders.import")
def import_upload():
    """Read an uploaded export and keep it for the preview; nothing is created yet."""
    if (request.content_length or 0) > svc.MAX_BYTES + 64 * 1024:
        return _too_large(_upload_form())
    form = _upload_form(submitted=True)
    upload = form.file.data
    data = upload.stream.read(svc.MAX_BYTES + 1) if hasattr(upload, "stream") else b""
    if len(data) > svc.MAX_BYTES:
        return _too_large(form)
    return actions.run(lambda: svc.preview(current_user, form.platform.data, upload.filename,
                                           data), form=form, answer=UploadAnswer())


def _preview(record: OrderImport, *, status: int = 200, message: str | None = None,
             error: bool = False):
    kinds = {verdict: svc.entries(record, verdict) for verdict in svc.VERDICTS}
    counts = record.counts or {}
    return render(PREVIEW, block="import_preview", status=status, record=record,
                  kinds=kinds, counts=counts, form=VersionedForm(formdata=None),
                  preset=presets.BY_CODE.get(counts.get("preset") or ""),
                  statuses=presets.STATUSES, effects=svc.EFFECTS, stages=STAGES,
                  platforms=PLATFORMS, states=svc.STATES, verdicts=svc.VERDICTS,
                  message=message, message_error=error, shown=svc.SHOWN,
                  orders_url=_orders_url())


@bp.route("/import/<int:import_id>")
@require("orders.import")
def import_preview(import_id: int):
    """One import: the counts, the orders to create, the duplicates, the wrong rows and why;
    confirm or discard while it waits."""
    return _preview(_get(import_id))


def _current_state(record: OrderImport) -> str:
    if record.state == "done":
        return _("This import was already confirmed at %(time)s: %(count)d orders were "
                 "created. This is its current state.",
                 time=clock.local(record.confirmed_at).strftime("%Y-%m-%d %H:%M"),
                 count=record.created_count)
    if record.state == "discarded":
        return _("This import was discarded: nothing was imported. This is its current "
                 "state.")
    return _("This import changed meanwhile. This is its current state.")


class PreviewAnswer:
    """Confirm or discard answers the import in place; a second confirm, or one of a
    discarded import, answers its current state (409)."""

    def __init__(self, record: OrderImport) -> None:
        self.record = record

    def done(self, record: OrderImport, message: str):
        return _preview(record, message=message)

    def refused(self, form, message):
        return _preview(self.record, status=422, message=message, error=True)

    def conflict(self, form, message: str):
        return _preview(self.record, status=409, message=_current_state(self.record),
                        error=True)

    def location(self, record: OrderImport) -> str:
        return url_for("orders.import_preview", import_id=self.record.id)


def _act(import_id: int, action, done):
    """Confirm or discard (version checked); in place for htmx, else back to the import."""
    record = _get(import_id)
    form = VersionedForm()
    return actions.run(lambda: action(current_user, record, form.version.data), form=form,
                       answer=PreviewAnswer(record), done=done, subject=record)


@bp.route("/import/<int:import_id>/confirm", methods=["POST"])
@require("orders.import")
def import_confirm(import_id: int):
    """Create the import's good orders in bulk; a second confirm gets 409 and the result."""
    return _act(import_id, svc.confirm, _confirmed)


def _confirmed(record: OrderImport) -> str:
    changed = (record.counts or {}).get("changed", 0)
    if changed:
        return _("%(count)d orders were created; %(changed)d orders changed their status.",
                 count=record.created_count, changed=changed)
    return _("%(count)d orders were created.", count=record.created_count)


@bp.route("/import/<int:import_id>/discard", methods=["POST"])
@require("orders.import")
def import_discard(import_id: int):
    """Drop an import waiting for confirmation: nothing is created."""
    return _act(import_id, svc.discard,
                _l("The import was discarded: nothing was imported."))


@bp.route("/import/<int:import_id>/problems.csv")
@require("orders.import")
def import_problems(import_id: int):
    """The import's duplicates and wrong rows with why, as CSV (to fix the export)."""
    record = _get(import_id)
    rows = [[_("Row"), _("Order number"), _("Verdict"), _("Why")]]
    rows += [[reason["row"], reason["order_no"], _(PROBLEM_KINDS[verdict]),
              _(reason["message"], **reason["params"])]
             for verdict, reason in svc.problems(record)]
    response = Response(csv_bytes(rows), mimetype="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="order-import-{record.id}-problems.csv"')
    return response


_import_names = namer(OrderImport, OrderImport.filename,
                      fmt=lambda ident, filename: f"#{ident} {filename}")


def register(app) -> None:
    """Navigation entry "Import orders" and the audit trail's words for imports."""
    from portal.ui import NavItem, register_audit, register_nav

    register_nav(app, NavItem("orders.import_form", _l("Import orders"), "orders.import",
                              order=14, active_prefix="orders.import_"))
    register_audit(app, actions={
        "orders.import_uploaded": N_("Order export uploaded for preview"),
        "orders.imported": N_("Orders imported"),
        "orders.import_discarded": N_("Order import discarded"),
        "orders.platform_status": N_("Order status changed on the platform"),
    }, target=("order_imports", N_("Order import"), _import_names))
