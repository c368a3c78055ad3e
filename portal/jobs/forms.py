"""The reminder settings' one form: switch a kind on or off."""

from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.validators import InputRequired

from portal.forms import VersionedForm, choices


class SwitchForm(VersionedForm):
    """On or off, for the setting's version the supervisor saw."""

    enabled = SelectField(_l("Sent"), choices=choices([("on", _l("On")), ("off", _l("Off"))]),
                          validators=[InputRequired(_l("Choose on or off."))])
