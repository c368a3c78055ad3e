"""Forms of the knowledge base. The rules are checked again in ``articles.py``."""

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, InputRequired, Length, Optional
from wtforms.widgets import HiddenInput

from portal.forms import FilterForm, Form, VersionedForm, choices
from portal.knowledge.articles import LIMITS, NOTE_MAX
from portal.knowledge.models import STATES


def _short(limit: int):
    return Length(max=limit, message=_l("Keep this under %(max)d characters.", max=limit))


def category_choices(categories, blank) -> list:
    return choices([("", blank)] + [(c.id, c.local_name) for c in categories])


def _category(value):
    """A category id as chosen ("" is none); anything else stays text and is refused."""
    if value in (None, ""):
        return None
    text = str(value)
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else text


class ArticleForm(VersionedForm):
    """An article's text (a new one has no version: ``NewArticleForm``)."""

    question = StringField(_l("Question"), validators=[
        InputRequired(_l("Write the question.")), _short(LIMITS["question"])])
    phrasings = TextAreaField(_l("Other phrasings (one per line)"),
                              validators=[Optional(), _short(LIMITS["phrasings"])])
    answer = TextAreaField(_l("Answer"), validators=[Optional(), _short(LIMITS["answer"])])
    reply_text = TextAreaField(_l("Short reply text (canned reply)"),
                               validators=[Optional(), _short(LIMITS["reply_text"])])
    category_id = SelectField(_l("Category"), coerce=_category, validate_choice=False,
                              validators=[Optional()])
    skus = StringField(_l("Products / SKUs"), validators=[Optional(), _short(LIMITS["skus"])])
    tags = StringField(_l("Tags"), validators=[Optional(), _short(LIMITS["tags"])])
    note = StringField(_l("What changed (optional)"),
                       validators=[Optional(), _short(NOTE_MAX)])

    def fields_dict(self) -> dict:
        return {name: getattr(self, name).data for name in
                ("question", "phrasings", "answer", "reply_text", "category_id", "skus", "tags")}

    def validate_category_id(self, field):
        if field.data is not None and not isinstance(field.data, int):
            from wtforms.validators import ValidationError

            raise ValidationError(_l("Choose a category from the list."))


class NewArticleForm(ArticleForm):
    version = IntegerField(widget=HiddenInput(), validators=[Optional()])


class StateForm(VersionedForm):
    """Publish or retire (the editor)."""

    state = StringField(validators=[
        InputRequired(_l("Choose a state from the list.")),
        AnyOf(("published", "retired"), message=_l("Choose a state from the list."))])


class ReviewForm(VersionedForm):
    """"Reviewed, still right" (the editor)."""


class RevertForm(VersionedForm):
    """Bring back a version's text (the editor)."""

    number = IntegerField(validators=[InputRequired(_l("Choose a version from the list."))])


class PromoteForm(Form):
    """Promote a daily-record line to a draft (the line is in the URL)."""


class ArticleFilterForm(FilterForm):
    """The list's filters: category, state, tag."""

    category = SelectField(_l("Category"), coerce=_category, validate_choice=False,
                           validators=[Optional()])
    state = SelectField(_l("State"), validators=[Optional(), AnyOf(
        ("", *STATES), message=_l("Choose a state from the list."))],
        choices=choices([("", _l("Any state"))]
                        + [(code, _l(label)) for code, label in STATES.items()]))
    tag = StringField(_l("Tag"), validators=[Optional(), _short(40)])


class CompareForm(FilterForm):
    """Which two versions to compare."""

    a = IntegerField(validators=[Optional()])
    b = IntegerField(validators=[Optional()])
