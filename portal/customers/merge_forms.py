"""Forms of the duplicates list: merge a pair, dismiss it, undo a merge."""

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField
from wtforms.validators import InputRequired, NumberRange
from wtforms.widgets import HiddenInput

from portal.forms import Form, VersionedForm

INCOMPLETE = _l("The form is incomplete; reload the page.")


def _hidden_id() -> IntegerField:
    return IntegerField(widget=HiddenInput(), validators=[InputRequired(INCOMPLETE),
                                                          NumberRange(min=1)])


class PairForm(Form):
    """Two customers: ``low_id`` < ``high_id`` on the page, either order accepted."""

    low_id = _hidden_id()
    high_id = _hidden_id()


class MergeForm(Form):
    """Keep ``survivor_id``, merge ``absorbed_id`` into it; both versions as the page had
    them (someone else's merge of either meanwhile is a conflict)."""

    survivor_id = _hidden_id()
    absorbed_id = _hidden_id()
    survivor_version = _hidden_id()
    absorbed_version = _hidden_id()


class UndoForm(VersionedForm):
    """Undo a merge (its version as the page had it)."""
