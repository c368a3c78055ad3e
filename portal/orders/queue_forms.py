"""Forms of the order clerks' queue: its filters, and each action on a row (flag, pack,
ship, void, complete), a task done, and the selection whose slips to print."""

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.validators import Length, Optional

from portal.forms import FilterForm, Form, LocalDateField, VersionedForm, choices
from portal.orders import orders as svc


class QueueFilterForm(FilterForm):
    """The queue's review order (R-O9) and its filters."""

    sort = SelectField(_l("Review order"), default="fifo", validators=[Optional()])
    flag = SelectField(_l("Flag"), default="", validators=[Optional()])
    platform = SelectField(_l("Platform"), default="", validators=[Optional()])

    def __init__(self, *args, **kwargs):
        """Offer the review orders, flags and platforms."""
        super().__init__(*args, **kwargs)
        self.sort.choices = choices((code, _l(label)) for code, label in svc.QUEUE_ORDERS.items())
        self.flag.choices = choices([("", _l("Any flag")), ("none", _l("No flag"))]
                                    + [(code, _l(label)) for code, label in svc.FLAGS.items()])
        self.platform.choices = choices([("", _l("Any platform"))]
                                        + [(code, _l(label))
                                           for code, label in svc.PLATFORMS.items()])

    def values(self) -> dict:
        """The valid filters (an unknown value is ignored, never an error page)."""
        valid = self.validate()
        return {
            "sort": self.sort.data if valid and self.sort.data else "fifo",
            "flag": self.flag.data if valid else "",
            "platform": self.platform.data if valid else "",
        }


class ActionForm(VersionedForm):
    """An action on one order as the clerk saw it (its ``version``): pack, void, complete."""


class FlagForm(VersionedForm):
    """R-O6: yellow = checked; red = out of stock, with the SKU and expected arrival."""

    flag = SelectField(_l("Flag"), choices=choices([("yellow", _l("Yellow")),
                                                    ("red", _l("Red")),
                                                    ("none", _l("No flag"))]))
    sku = SelectField(_l("Out-of-stock SKU"), validate_choice=False, validators=[Optional()])
    arrival = LocalDateField(_l("Expected arrival"), validators=[Optional()])

    def for_order(self, order) -> "FlagForm":
        """Offer the order's own SKUs."""
        skus = list(dict.fromkeys(line.sku for line in order.lines))
        self.sku.choices = choices([("", _l("— choose —"))] + [(sku, sku) for sku in skus])
        return self


class ShipForm(VersionedForm):
    """A packed order handed to the courier with its tracking number."""

    courier = StringField(_l("Courier"), validators=[Length(max=30)])
    tracking_no = StringField(_l("Tracking number"), validators=[Length(max=40)])


class TaskDoneForm(VersionedForm):
    """An order clerk confirms a task done."""


class PrintForm(Form):
    """The orders ticked in the queue: ``ids`` with a ``version-<id>`` each."""

    def selection(self) -> list[tuple[int, int | None]]:
        """[(order id, version as seen)] in the order ticked; junk values are dropped."""
        from flask import request

        picked = []
        for raw in request.form.getlist("ids"):
            if not raw.strip().isdigit():
                continue
            order_id = int(raw)
            version = request.form.get(f"version-{order_id}", "").strip()
            picked.append((order_id, int(version) if version.isdigit() else None))
        return list(dict.fromkeys(picked))
