"""My calls today (/customers/calls), the call plans, the calls per agent and the monthly
care list (R-C2, R-C5; issue 17 items 5, 6 and 9's call cards).

A call's row answers its result in place (htmx, ``hx-target="this"``): the row as it is
now, a refusal (422) with the typing kept, or (someone recorded it first) a 409 with the
call's current state.
"""

from datetime import date

from flask import Response, abort, flash, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal import actions, audit, clock
from portal.auth.decorators import require
from portal.customers import bp, calls, care
from portal.customers.call_forms import (
    CallResultForm,
    CareExportForm,
    CareFilterForm,
    PlanEditForm,
    PlanForm,
)
from portal.customers.call_models import (
    PLAN_KINDS,
    RESULTS,
    STATES,
    CallPlan,
    CareExport,
    PlannedCall,
)
from portal.customers.classes import CLASSES
from portal.customers.models import KINDS
from portal.customers.privacy import mask_phone, sees_contacts
from portal.extensions import db
from portal.i18n import N_
from portal.web import is_fragment_request, render, trigger

TEMPLATE = "customers/calls/index.html"
ROW = "customers/calls/_row.html"
PLANS = "customers/calls/plans.html"
AGENTS = "customers/calls/agents.html"
CARE = "customers/care/index.html"
EVENT = "calls-changed"  # the Today card follows it
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

def class_label(code: str | None) -> str:
    if not code:
        return ""
    return _(CLASSES[code]) if code in CLASSES else code


def phone_for(user, call: PlannedCall) -> tuple[str, bool]:
    """The customer's first phone, in full for whoever serves the customer (the call is
    theirs, or ``privacy.sees_contacts``), masked otherwise; and whether it is in full."""
    phones = call.customer.phones
    if not phones:
        return "", False
    full = sees_contacts(user, call.customer) or calls.may_record(user, call)
    return (phones[0], True) if full else (mask_phone(phones[0]), False)


def _audit_full_views(rows) -> None:
    """R-C8: phones shown in full to someone who is not the customer's owner are recorded
    (one event per page, listing the customers)."""
    shown = sorted({call.customer_id for call in rows
                    if call.customer.owner_id != current_user.id
                    and phone_for(current_user, call)[1]})
    if shown:
        audit.record("customers.contacts_viewed", None, actor=current_user,
                     details={"customer_ids": shown[:200], "where": "customers.calls"})


def _return_visits() -> dict:
    """The after-sales desk's day-3 return visits due (R-C2 keeps its own flow there)."""
    if not current_user.can("aftersales.work"):
        return {"visits": None}
    from portal.aftersales import visits as visits_svc

    return {"visits": visits_svc.due_count()}


def _page_context() -> dict:
    rows, total = calls.my_calls(current_user)
    _audit_full_views(rows)
    now = clock.now()
    return {"rows": rows, "total": total, "now": now, "today_date": clock.today(),
            **_return_visits()}


@bp.route("/calls", endpoint="calls")
@require("customers.calls")
def my_calls():
    """My calls today: the calls due in my windows and the overdue ones, by value class."""
    return render(TEMPLATE, block="call_list", **_page_context())


def _row(call: PlannedCall, *, status: int = 200, form=None, message: str | None = None,
         ok: bool = True):
    return render(ROW, status=status, call=call, form=form, row_message=message, row_ok=ok,
                  now=clock.now())


class RowAnswer:
    """A call's row answers its result in place; without JavaScript, the page."""

    def __init__(self, call: PlannedCall) -> None:
        self.call = call

    def done(self, call: PlannedCall, message: str):
        return trigger(_row(call, message=message), EVENT)

    def refused(self, form, message):
        if not is_fragment_request():
            flash(message or " ".join(form.form_errors) or _("Check the call's fields."),
                  "error")
            return render(TEMPLATE, **_page_context())
        return _row(self.call, status=422, form=form, message=message, ok=False)

    def conflict(self, form, message: str):
        text = _("Someone else recorded this call first. This is its current state.")
        if not is_fragment_request():
            flash(text, "error")
            return render(TEMPLATE, **_page_context())
        return _row(self.call, status=409, form=form if self.call.state == "due" else None,
                    message=text, ok=False)

    def location(self, result) -> str:
        return url_for("customers.calls")


def _recorded(call: PlannedCall) -> str:
    if call.state == "given_up":
        return _("No answer %(tries)d times: the call is given up.", tries=call.tries)
    if call.state == "due":
        moment = clock.local(call.due_at)
        return _("Next try: %(moment)s.", moment=moment.strftime("%Y-%m-%d %H:%M"))
    return _("Recorded.")


@bp.route("/calls/<int:call_id>/result", methods=["POST"])
@require("customers.calls")
def record_call(call_id: int):
    """R-C5: record one try of a call (in place, version-checked)."""
    call = db.get_or_404(PlannedCall, call_id)
    form = CallResultForm()
    return actions.run(lambda: calls.record(
        current_user, call, form.version.data, form.result.data, form.note.data or "",
        form.call_back_at.data), form=form, answer=RowAnswer(call), done=_recorded,
        subject=call)


# --- the plans (customers.manage) ------------------------------------------------------------


def _plans_page(status: int = 200, *, new_form=None, edit: dict | None = None,
                message: str | None = None):
    plans = calls.plans()
    forms = {}
    for plan in plans:
        forms[plan.id] = (edit or {}).get(plan.id) or _plan_form(plan)
    return render(PLANS, status=status, plans=plans, forms=forms,
                  new_form=new_form or PlanForm(formdata=None), page_message=message)


def _plan_form(plan: CallPlan) -> PlanEditForm:
    form = PlanEditForm(formdata=None, obj=plan)
    form.customer_kind.data = plan.customer_kind or ""
    return form


@bp.route("/calls/plans")
@require("customers.manage")
def call_plans():
    """The call plans: kind, which customers, when, windows, tries, script hint."""
    return _plans_page()


class PlanAnswer:
    """Saving a plan answers the plans page (it is a form page, not a list of rows)."""

    def __init__(self, plan: CallPlan | None) -> None:
        self.plan = plan

    def done(self, plan, message):
        flash(message, "success")
        return _plans_page()

    def refused(self, form, message):
        if self.plan is None:
            return _plans_page(new_form=form, message=message)
        return _plans_page(edit={self.plan.id: form}, message=message)

    def conflict(self, form, message):
        return _plans_page(edit={self.plan.id: form}, message=_(
            "Someone else changed this plan first. This is its current state; your typing "
            "is kept below."))

    def location(self, plan) -> str:
        return url_for("customers.call_plans")


def _save(plan: CallPlan | None, form):
    return lambda: calls.save_plan(
        current_user, plan, getattr(form, "version", None) and form.version.data,
        name=form.name.data, kind=form.kind.data, customer_kind=form.customer_kind.data,
        value_classes=form.value_classes.data or "", days=form.days.data,
        script_hint=form.script_hint.data or "", max_tries=form.max_tries.data,
        windows=form.windows.data, pool_role=form.pool_role.data, active=form.active.data)


@bp.route("/calls/plans/new", methods=["POST"])
@require("customers.manage")
def create_plan():
    """Add a call plan."""
    form = PlanForm()
    return actions.run(_save(None, form), form=form, answer=PlanAnswer(None),
                       done=_l("Plan saved."))


@bp.route("/calls/plans/<int:plan_id>", methods=["POST"])
@require("customers.manage")
def update_plan(plan_id: int):
    """Change a call plan (version-checked)."""
    plan = db.get_or_404(CallPlan, plan_id)
    form = PlanEditForm()
    return actions.run(_save(plan, form), form=form, answer=PlanAnswer(plan),
                       done=_l("Plan saved."), subject=plan)


# --- oversight (customers.oversee) -----------------------------------------------------------


def _day_arg() -> date:
    text = request.args.get("day")
    if not text:
        return clock.today()
    try:
        day = date.fromisoformat(text)
    except ValueError:
        abort(404)
    if not 2000 <= day.year <= 2100:
        abort(404)
    return day


@bp.route("/calls/agents")
@require("customers.oversee")
def call_agents():
    """Completion per agent: the day's tries by result and the calls still open."""
    day = _day_arg()
    rows, pools = calls.completion(day)
    return render(AGENTS, rows=rows, pools=pools, day=day)


# --- the monthly care list (customers.manage) ------------------------------------------------


def _care_context(form) -> dict:
    valid = form.validate()
    days = form.days.data if valid and form.days.data else 30
    month = form.month.data if valid and form.month.data else care.this_month()
    include = bool(form.all.data) if valid else False
    listing = care.page(month, days, include, before=request.args.get("before"),
                        after=request.args.get("after"))
    ids = [c.id for c in listing.items]
    return {"form": form, "page": listing, "days": days, "month": month, "all": include,
            "greeted": care.greeted_ids(month, ids),
            "exports": db.session.scalars(
                db.select(CareExport).where(CareExport.month == month)
                .order_by(CareExport.id.desc()).limit(10)).all(),
            "export_form": CareExportForm(formdata=None, days=days, month=month, all=include),
            "args": {"days": days, "month": month, **({"all": "y"} if include else {})}}


@bp.route("/care")
@require("customers.manage")
def care_list():
    """R-C5: members quiet for N days, with consent, not yet greeted this month."""
    form = CareFilterForm()
    context = _care_context(form)
    status = 422 if form.errors else 200
    return render(CARE, block="care_results", status=status, **context)


class ExportAnswer:
    """Exporting goes to the file (303 to its download); a refusal shows the list."""

    def done(self, record, message):  # htmx never posts the export (it is a download)
        return render(CARE, **_care_context(CareFilterForm()))

    def refused(self, form, message):
        flash(message or " ".join(str(e) for errors in form.errors.values() for e in errors),
              "error")
        return render(CARE, **_care_context(CareFilterForm()))

    conflict = refused

    def location(self, record: CareExport) -> str:
        return url_for("customers.care_download", export_id=record.id,
                       format=self.format)


@bp.route("/care/export", methods=["POST"])
@require("customers.manage")
def care_export():
    """Export the care list (xlsx or CSV) and mark its customers greeted this month."""
    form = CareExportForm()
    answer = ExportAnswer()
    answer.format = form.format.data if form.format.data in ("xlsx", "csv") else "xlsx"
    return actions.run(lambda: care.export(current_user, form.month.data, form.days.data,
                                           bool(form.all.data)),
                       form=form, answer=answer,
                       done=lambda r: _("%(count)d customers marked greeted.", count=r.count))


@bp.route("/care/exports/<int:export_id>.<any(xlsx, csv):format>")
@require("customers.manage")
def care_download(export_id: int, format: str):
    """The file of one export of the care list: name, phone, class, last contact."""
    record = db.get_or_404(CareExport, export_id)
    header = [_("Name"), _("Phone"), _("Value class"), _("Last contact")]
    rows = care.table(record, header, class_label)
    audit.record("customers.care_downloaded", record, actor=current_user,
                 details={"rows": len(rows) - 1, "format": format})
    name = f"care-{record.month}-{record.id}.{format}"
    if format == "csv":
        response = Response(care.csv(rows), mimetype="text/csv; charset=utf-8")
    else:
        response = Response(care.xlsx(rows, record.month), mimetype=XLSX)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- Today cards, navigation, audit words ----------------------------------------------------


def _my_calls_card(user) -> dict:
    return {"count": calls.my_due_count(user)}


def _overdue_card(user) -> dict:
    rows, total = calls.overdue_by_agent()
    return {"rows": rows, "total": total}


def _calls_report(begin, end) -> dict:
    return calls.weekly_figures(begin, end)


def register(app) -> None:
    """Navigation entries, Today cards, the weekly report's calls, template globals, audit."""
    from portal.ui import (
        Card,
        NavItem,
        ReportSection,
        register_audit,
        register_card,
        register_nav,
        register_report_section,
    )

    app.jinja_env.globals.update(
        call_results=RESULTS, call_states=STATES, call_plan_kinds=PLAN_KINDS,
        customer_kinds=KINDS, value_class_label=class_label, call_phone=phone_for)
    register_nav(app, NavItem("customers.calls", _l("My calls today"), "customers.calls",
                              order=56, active_prefix=("customers.calls", "customers.record_call")))
    register_nav(app, NavItem("customers.call_agents", _l("Calls per agent"),
                              "customers.oversee", order=57,
                              active_prefix=("customers.call_agents",)))
    register_nav(app, NavItem("customers.call_plans", _l("Call plans"), "customers.manage",
                              order=58, active_prefix=("customers.call_plans",
                                                       "customers.create_plan",
                                                       "customers.update_plan")))
    register_nav(app, NavItem("customers.care_list", _l("Monthly care list"),
                              "customers.manage", order=59, active_prefix=("customers.care",)))
    sheet = "css/customer-calls.css"
    register_card(app, Card("customers-my-calls", _l("My calls due"), "customers.calls",
                            "customers/calls/_card_mine.html", _my_calls_card, order=24,
                            stylesheet=sheet))
    register_card(app, Card("customers-overdue-calls", _l("Overdue calls by agent"),
                            "customers.oversee", "customers/calls/_card_overdue.html",
                            _overdue_card, order=28, stylesheet=sheet))
    register_report_section(app, "aftersales.weekly", ReportSection(
        "calls", _l("Follow-up calls"), "customers/calls/_report.html", _calls_report))
    register_audit(
        app,
        actions={
            "customers.call_recorded": N_("Call result recorded"),
            "customers.call_plan_created": N_("Call plan added"),
            "customers.call_plan_changed": N_("Call plan changed"),
            "customers.care_exported": N_("Care list exported (customers greeted)"),
            "customers.care_downloaded": N_("Care list file downloaded"),
            "customers.contacts_viewed": N_("Customer contacts shown in full"),
        },
        fields={"result": N_("Result"), "due_at": N_("Due"), "tries": N_("Tries"),
                "windows": N_("Call windows"), "max_tries": N_("Tries at most"),
                "script_hint": N_("Script hint"), "pool_role": N_("Pool"),
                "value_classes": N_("Value classes"), "customer_kind": N_("Customers of kind")},
        values={"result": dict(RESULTS)},
        target=("planned_calls", N_("Planned call"), None),
    )
    register_audit(app, target=("call_plans", N_("Call plan"), None))
    register_audit(app, target=("care_exports", N_("Care list export"), None))
