"""Value classes (/customers/classes): the supervisor's thresholds with a preview of how many
customers fall in each class before saving; the explanation the story page includes; the
Today cards (my customers waiting for something; customers per class).
"""

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal import actions
from portal.auth.decorators import require
from portal.customers import bp
from portal.customers import classes as svc
from portal.customers.class_forms import PreviewForm, ThresholdsForm
from portal.customers.class_models import ClassThresholds
from portal.i18n import N_
from portal.live.counters import cheap_poll
from portal.web import is_fragment_request, render

TEMPLATE = "customers/classes/index.html"


def _limits_of(form) -> svc.Limits:
    return svc.Limits(form.window_days.data, form.recency_days.data,
                      form.frequency_orders.data, form.money_amount.data)


def _saved_form() -> ThresholdsForm:
    saved = svc.thresholds()
    form = ThresholdsForm(formdata=None, obj=saved)
    form.version.data = saved.version or 0
    return form


def _page(form, *, counts=None, typed=False, message=None, status=200, preview_form=None):
    """The page (or its settings block): the form and the customers per class (saved, or
    ``counts`` previewed). While the job queue recomputes after a save, the classes the
    saved thresholds give (the preview) stand in place of the stored ones, and the block
    asks again every few seconds until the recompute is done."""
    saved = svc.thresholds()
    recomputing = svc.recompute_is_pending()
    if counts is None and not typed:
        counts = svc.preview(svc.Limits.of(saved)) if recomputing else svc.class_counts()
    return render(TEMPLATE, block="class_settings", status=status, form=form, saved=saved,
                  counts=counts, typed=typed, classes=svc.CLASSES, cells=svc.CELLS,
                  form_message=message, preview_form=preview_form, recomputing=recomputing)


@bp.route("/classes", endpoint="classes")
@require("customers.manage")
@cheap_poll("customer_class_thresholds", "customer_class_counts")
def classes_index():
    """The thresholds, how many customers each class holds, and what the classes mean."""
    return _page(_saved_form())


@bp.route("/classes/preview", endpoint="classes_preview")
@require("customers.manage")
def classes_preview():
    """How many customers each class would hold with the typed thresholds (nothing saved):
    the preview block for htmx, else the page with the figures typed."""
    form = PreviewForm()
    valid = form.validate()
    counts = svc.preview(_limits_of(form)) if valid else None
    status = 200 if valid else 422
    if is_fragment_request():
        return render(TEMPLATE, block="class_preview", status=status, counts=counts,
                      typed=True, classes=svc.CLASSES, cells=svc.CELLS, preview_form=form)
    return _page(_typed_into_saved(form), counts=counts, typed=True, status=status,
                 preview_form=form)


def _typed_into_saved(preview: PreviewForm) -> ThresholdsForm:
    """The save form holding what was typed for the preview (no JavaScript: one page)."""
    form = _saved_form()
    for name in ("window_days", "recency_days", "frequency_orders", "money_amount"):
        typed, field = getattr(preview, name), getattr(form, name)
        field.raw_data, field.data, field.errors = typed.raw_data, typed.data, list(typed.errors)
    return form


class SaveAnswer:
    """Saving answers the settings block: the saved figures and the classes as they are now;
    a refusal or a conflict keeps what was typed."""

    def done(self, saved: ClassThresholds, message: str):
        return _page(_saved_form(), message=message)

    def refused(self, form, message):
        return _page(form)

    def conflict(self, form, message):
        form.form_errors.append(_("Someone else saved the thresholds first. These are the "
                                  "classes as they are now; your figures are kept below."))
        return _page(form)

    def location(self, saved) -> str:
        return url_for("customers.classes")


@bp.route("/classes", methods=["POST"], endpoint="classes_save")
@require("customers.manage")
def classes_save():
    """Save the thresholds; the job queue recomputes every class."""
    form = ThresholdsForm()
    return actions.run(lambda: svc.save(current_user, form.version.data, _limits_of(form)),
                       form=form, answer=SaveAnswer(), subject=svc.thresholds(),
                       done=_l("Thresholds saved. Every customer's class is being "
                               "recomputed; this page shows when it is done."))


# --- what other pages use ------------------------------------------------------------------------


def mine_card(user) -> dict:
    """My customers with an open case, an order not yet shipped or an out-of-stock wait."""
    rows, total = svc.mine_waiting(user)
    return {"rows": rows, "total": total}


def summary_card(user) -> dict:
    """How many customers each class holds (for the supervisor and the manager)."""
    return {"counts": svc.stored_counts(), "classes": svc.CLASSES}


def register(app) -> None:
    """The settings link, the Today cards, the explanation helper, the audit words (the
    nightly command is ``flask portal customer-classes`` in portal/cli.py)."""
    from portal.ui import Card, NavItem, register_audit, register_card, register_nav

    svc.init_app(app)
    register_nav(app, NavItem("customers.classes", _l("Value classes"), "customers.manage",
                              order=62, active_prefix="customers.classes"))
    register_card(app, Card("customers-mine-waiting",
                            _l("My customers waiting for something"), "customers.edit",
                            "customers/classes/_card_mine.html", mine_card, order=62,
                            stylesheet="css/customer-classes.css"))
    register_card(app, Card("customers-classes", _l("Customers by value class"),
                            "customers.oversee", "customers/classes/_card_summary.html",
                            summary_card, order=88, stylesheet="css/customer-classes.css"))
    app.jinja_env.globals.update(
        value_class_labels=svc.CLASSES, value_class_explanation=svc.explain)
    register_audit(
        app,
        actions={"customers.classes_saved": N_("Value-class thresholds saved")},
        fields={"window_days": N_("Window (days)"), "recency_days": N_("Recency (days)"),
                "frequency_orders": N_("Frequency (orders)"), "money_amount": N_("Money (¥)")},
        target=("customer_class_thresholds", N_("Value-class thresholds"), None),
    )
