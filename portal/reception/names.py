"""Names per language of the showroom's data (issue 15 item 17): a menu item and a checklist
item have their name (Simplified Chinese, what the supervisor typed first) and optionally one
in Traditional Chinese and one in English; each reader sees their own language, the name
where that one is left empty (``portal.i18n.localized``).
"""

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import Length, Optional

from portal.i18n import N_
from portal.rules import RuleError

OTHER_LANGUAGES = ("zh_TW", "en")  # the name itself is the zh_CN one
NAME_MAX = 60


def field_name(locale: str) -> str:
    return f"name_{locale}"


def clean_names(names: dict | None) -> dict | None:
    """The stored ``names``: trimmed, empty languages left out (None when none is given)."""
    kept = {}
    for locale in OTHER_LANGUAGES:
        text = ((names or {}).get(locale) or "").strip()
        if len(text) > NAME_MAX:
            raise RuleError(N_("Keep the name under %(max)d characters."), field_name(locale),
                            max=NAME_MAX)
        if text:
            kept[locale] = text
    return kept or None


class NamesFields:
    """Form mixin: the name in Traditional Chinese and in English (both optional)."""

    name_zh_TW = StringField(_l("Name in Traditional Chinese"), validators=[
        Optional(), Length(max=NAME_MAX, message=_l("Keep this under 60 characters."))])
    name_en = StringField(_l("Name in English"), validators=[
        Optional(), Length(max=NAME_MAX, message=_l("Keep this under 60 characters."))])

    def names(self) -> dict:
        """{locale: name as typed} of the other languages."""
        return {locale: self[field_name(locale)].data for locale in OTHER_LANGUAGES}


