"""The knowledge base's pages (issue 18 item 5): the list (/knowledge/), an article, new and
edit (every save a version; a change made meanwhile is a 409 showing their text now and
the typing kept), the versions with a diff between any two and revert, publish / retire /
"reviewed, still right" for the editor, promote a daily-record line to a draft, the
unresolved questions and the editor's Today card.

Forms post whole pages (they are long texts, not rows): the runner answers 303 to the
article, or the page again with the messages (422) or the conflict (409).
"""

from flask import abort, flash, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from portal import actions
from portal.audit.services import namer
from portal.auth.decorators import require
from portal.extensions import db
from portal.forms import record_id
from portal.i18n import N_
from portal.knowledge import articles as svc
from portal.knowledge import bp
from portal.knowledge.forms import (
    ArticleFilterForm,
    ArticleForm,
    CompareForm,
    NewArticleForm,
    PromoteForm,
    RevertForm,
    ReviewForm,
    StateForm,
    category_choices,
)
from portal.knowledge.models import STATES, Article
from portal.paging import keyset_page
from portal.ui import Card, NavItem, register_audit, register_card, register_nav
from portal.web import is_fragment_request, render, trigger
from portal.worklog.models import WorkLine

INDEX = "knowledge/index.html"
SHOW = "knowledge/show.html"
EDIT = "knowledge/edit.html"
VERSIONS = "knowledge/versions.html"
QUESTIONS = "knowledge/questions.html"
PROMOTED = "knowledge/_promoted.html"
EVENT = "knowledge-changed"
FIELD_LABELS = {"question": _l("Question"), "phrasings": _l("Other phrasings (one per line)"),
                "answer": _l("Answer"), "reply_text": _l("Short reply text (canned reply)"),
                "skus": _l("Products / SKUs"), "tags": _l("Tags")}


def _article(article_id: int) -> Article:
    article = db.session.get(Article, article_id) if record_id(article_id) else None
    if article is None or not svc.may_see(current_user, article):
        abort(404)
    return article


# --- the list --------------------------------------------------------------------------------


@bp.route("/", endpoint="index")
@require("knowledge.view")
def index():
    """Published articles for everyone; drafts and retired for writers and the editor."""
    filters = ArticleFilterForm()
    categories = svc.categories()
    filters.category.choices = category_choices(categories, _("Any category"))
    valid = filters.validate()
    category = filters.category.data if valid and isinstance(filters.category.data, int) \
        else None
    query = svc.list_query(current_user, category_id=category,
                           state=filters.state.data if valid else None,
                           tag=(filters.tag.data or "").strip() if valid else None)
    page = keyset_page(query, (Article.updated_at, Article.id),
                       before=request.args.get("before"), after=request.args.get("after"),
                       per_page=svc.PER_PAGE)
    args = {k: v for k, v in (("category", category),
                              ("state", filters.state.data if valid else None),
                              ("tag", filters.tag.data if valid else None)) if v}
    return render(INDEX, block="article_list", filters=filters, page=page, args=args,
                  states=STATES, writes=svc.writes(current_user))


# --- one article -----------------------------------------------------------------------------


def _show(article: Article, *, status: int = 200, message: str | None = None):
    return render(SHOW, status=status, article=article, states=STATES,
                  may_edit=svc.may_edit(current_user, article),
                  editor=current_user.can("knowledge.edit"),
                  stale=svc.is_stale(article),
                  page_message=message)


@bp.route("/<int:article_id>", endpoint="show")
@require("knowledge.view")
def show(article_id: int):
    """The article: question, phrasings, answer, reply text, who wrote and reviewed it."""
    return _show(_article(article_id))


def _edit_page(form, article: Article | None, *, status: int = 200, theirs=None,
               message: str | None = None):
    form.category_id.choices = category_choices(svc.categories(), _("No category"))
    return render(EDIT, status=status, form=form, article=article, theirs=theirs,
                  page_message=message)


class ArticleAnswer:
    """Saving the article's form: the article (303); the form again as typed with its
    messages (422); their text now beside the typing kept (409)."""

    def __init__(self, article: Article | None) -> None:
        self.article = article

    def done(self, article, message):
        flash(message, "success")
        response = render(SHOW, article=article, states=STATES)  # never shown: redirected
        response.headers["HX-Redirect"] = self.location(article)
        return response

    def refused(self, form, message):
        if message:
            form.form_errors.append(message)
        return _edit_page(form, self.article, status=422)

    def conflict(self, form, message):
        if not svc.may_see(current_user, self.article):
            abort(404)
        return _edit_page(form, self.article, status=409, theirs=self.article, message=_(
            "Someone else changed this article meanwhile. Their text is on the left as it is "
            "now; yours is kept in the form: merge them and save again."))

    def location(self, article) -> str:
        return url_for("knowledge.show", article_id=article.id)


@bp.route("/new", methods=["GET", "POST"], endpoint="create")
@require("knowledge.write")
def create():
    """A new draft."""
    form = NewArticleForm()
    form.category_id.choices = category_choices(svc.categories(), _("No category"))
    if request.method == "GET":
        return _edit_page(form, None)
    return actions.run(lambda: svc.create(current_user, form.fields_dict(), form.note.data),
                       form=form, answer=ArticleAnswer(None), done=_l("Draft saved."))


@bp.route("/<int:article_id>/edit", methods=["GET", "POST"], endpoint="edit")
@require("knowledge.view")
def edit(article_id: int):
    """Change the article's text: a new version. Writers change drafts, the editor any."""
    article = _article(article_id)
    if not svc.may_edit(current_user, article):
        from portal.auth.decorators import refuse

        refuse("knowledge.edit")
    if request.method == "GET":
        form = ArticleForm(formdata=None, obj=article)
        form.category_id.data = article.category_id
        return _edit_page(form, article)
    form = ArticleForm()
    return actions.run(lambda: svc.update(current_user, article, form.version.data,
                                          form.fields_dict(), form.note.data),
                       form=form, answer=ArticleAnswer(article), subject=article,
                       done=_l("Saved as a new version."))


class StateAnswer:
    """A button on the article's page: the page again (303), or with the refusal / the
    article as it is now (422 / 409)."""

    def __init__(self, article: Article) -> None:
        self.article = article

    def done(self, article, message):
        flash(message, "success")
        response = _show(article)
        response.headers["HX-Redirect"] = self.location(article)
        return trigger(response, EVENT)

    def refused(self, form, message):
        if form is not None:
            message = " ".join([*form.form_errors,
                                *(e for errors in form.errors.values() for e in errors
                                  if isinstance(e, str))]) or message
        return _show(self.article, message=message)

    def conflict(self, form, message):
        return _show(self.article, message=_(
            "Someone else changed this article first. This is its current state; check it "
            "and try again."))

    def location(self, article) -> str:
        return url_for("knowledge.show", article_id=article.id)


@bp.route("/<int:article_id>/state", methods=["POST"], endpoint="set_state")
@require("knowledge.edit")
def set_state(article_id: int):
    """Publish (the editor is the reviewer) or retire."""
    article = _article(article_id)
    form = StateForm()
    return actions.run(lambda: svc.set_state(current_user, article, form.version.data,
                                             form.state.data),
                       form=form, answer=StateAnswer(article), subject=article,
                       done=lambda a: _("Published.") if a.state == "published"
                       else _("Retired."))


@bp.route("/<int:article_id>/reviewed", methods=["POST"], endpoint="reviewed")
@require("knowledge.edit")
def reviewed(article_id: int):
    """"Reviewed, still right": reviewed_at becomes now."""
    article = _article(article_id)
    form = ReviewForm()
    return actions.run(lambda: svc.mark_reviewed(current_user, article, form.version.data),
                       form=form, answer=StateAnswer(article), subject=article,
                       done=_l("Marked as reviewed."))


# --- versions, diff, revert ------------------------------------------------------------------


def _versions_page(article: Article, *, status: int = 200, message: str | None = None):
    if not svc.writes(current_user):
        abort(404)
    kept = svc.versions(article)
    numbers = [v.number for v in kept]
    pick = CompareForm()
    valid = pick.validate()
    newest = numbers[0] if numbers else None
    b = pick.b.data if valid and pick.b.data in numbers else newest
    a = pick.a.data if valid and pick.a.data in numbers else (
        max([n for n in numbers if n < (b or 0)], default=None))
    by_number = {v.number: v for v in kept}
    pieces = svc.compare(by_number[a], by_number[b]) if a and b and a != b else {}
    return render(VERSIONS, status=status, article=article, versions=kept, a=a, b=b,
                  pieces=pieces, labels=FIELD_LABELS,
                  editor=current_user.can("knowledge.edit"), page_message=message)


@bp.route("/<int:article_id>/versions", endpoint="versions")
@require("knowledge.view")
def versions(article_id: int):
    """Every version of the article; ``?a=&b=``: the diff between two of them."""
    return _versions_page(_article(article_id))


class RevertAnswer(StateAnswer):
    def refused(self, form, message):
        if form is not None:
            message = " ".join([*form.form_errors,
                                *(e for errors in form.errors.values() for e in errors
                                  if isinstance(e, str))]) or message
        return _versions_page(self.article, message=message)

    def conflict(self, form, message):
        return _versions_page(self.article, message=_(
            "Someone else changed this article first. This is its current state; check it "
            "and try again."))


@bp.route("/<int:article_id>/revert", methods=["POST"], endpoint="revert")
@require("knowledge.edit")
def revert(article_id: int):
    """Bring back an earlier version's text (as a new version)."""
    article = _article(article_id)
    form = RevertForm()
    return actions.run(lambda: svc.revert(current_user, article, form.version.data,
                                          form.number.data),
                       form=form, answer=RevertAnswer(article), subject=article,
                       done=lambda a: _("Version %(number)d brought back as version "
                                        "%(new)d.", number=form.number.data, new=a.revision))


# --- promote, unresolved questions -----------------------------------------------------------


class PromoteAnswer:
    """Promoting answers the small "promoted → article" part of the line (htmx), or the new
    draft's edit page (without JavaScript)."""

    def __init__(self, line: WorkLine) -> None:
        self.line = line

    def done(self, article, message):
        return trigger(render(PROMOTED, line=self.line, article=article, message=message),
                       EVENT, "worklog-changed")

    def refused(self, form, message):
        if form is not None:
            message = " ".join(form.form_errors) or message
        if is_fragment_request():
            return render(PROMOTED, line=self.line, article=None, message=message, ok=False)
        flash(message or _("Check the form."), "error")
        return render(QUESTIONS, **_questions_context())

    def conflict(self, form, message):
        return self.refused(form, message)

    def location(self, article) -> str:
        return url_for("knowledge.edit", article_id=article.id)


@bp.route("/promote/<int:line_id>", methods=["POST"], endpoint="promote")
@require("knowledge.write")
def promote(line_id: int):
    """A daily-record line (an unresolved question) becomes a draft article in one click."""
    line = db.session.get(WorkLine, line_id) if record_id(line_id) else None
    if line is None:
        abort(404)
    form = PromoteForm()
    return actions.run(lambda: svc.promote(current_user, line), form=form,
                       answer=PromoteAnswer(line), done=_l("Promoted to a draft article."))


def _questions_context() -> dict:
    page = keyset_page(svc.unresolved_query(), (WorkLine.day, WorkLine.id),
                       before=request.args.get("before"), after=request.args.get("after"),
                       per_page=svc.PER_PAGE)
    return {"page": page}


@bp.route("/questions", endpoint="questions")
@require("knowledge.edit")
def questions():
    """The daily records' unresolved questions not promoted yet, newest first."""
    return render(QUESTIONS, block="question_list", **_questions_context())


@bp.route("/stale", endpoint="stale")
@require("knowledge.edit")
def stale():
    """Published articles not reviewed in 180 days, the oldest review first."""
    page = keyset_page(svc.stale_query(), (Article.updated_at, Article.id),
                       before=request.args.get("before"), after=request.args.get("after"),
                       per_page=svc.PER_PAGE)
    return render(INDEX, block="article_list", filters=None, page=page, args={},
                  states=STATES, writes=True, stale_list=True)


# --- registration ----------------------------------------------------------------------------


def editor_card(user) -> dict:
    return svc.editor_counts()


def diff_html(pieces) -> Markup:
    """Diff pieces as <ins>/<del> spans (classes only: the CSP allows no inline style)."""
    out = []
    for piece in pieces:
        text = Markup.escape(piece.text)
        if piece.kind == "ins":
            out.append(Markup('<ins class="diff-ins">{}</ins>').format(text))
        elif piece.kind == "del":
            out.append(Markup('<del class="diff-del">{}</del>').format(text))
        else:
            out.append(text)
    return Markup("").join(out)


NOTES = {"created": _l("Written"), "published": _l("Published"), "retired": _l("Retired"),
         "promoted": _l("Promoted from a daily record"),
         "canned reply": _l("From the canned replies")}


def version_note(note: str) -> str:
    """A version's note in the reader's language (the ones the portal writes are codes)."""
    if note in NOTES:
        return str(NOTES[note])
    if note.startswith("reverted to ") and note[12:].isdigit():
        return _("Version %(number)d brought back", number=int(note[12:]))
    return note


def register(app) -> None:
    app.add_template_filter(diff_html, "knowledge_diff")
    app.add_template_global(version_note, "version_note")
    register_nav(app, NavItem("knowledge.index", _l("Knowledge base"), "knowledge.view",
                              order=63, active_prefix=("knowledge.",)))
    register_card(app, Card("knowledge-editor", _l("Knowledge base"), "knowledge.edit",
                            "knowledge/_card.html", editor_card, order=70,
                            stylesheet="css/knowledge.css", events=(EVENT,)))
    register_audit(app, actions={
        "knowledge.created": N_("Article drafted"),
        "knowledge.changed": N_("Article changed"),
        "knowledge.published": N_("Article published"),
        "knowledge.retired": N_("Article retired"),
        "knowledge.reviewed": N_("Article reviewed, still right"),
        "knowledge.reverted": N_("Article reverted to an earlier version"),
        "knowledge.promoted": N_("Question promoted to a draft article"),
    }, fields={"question": N_("Question"), "answer": N_("Answer"),
               "reply_text": N_("Short reply text (canned reply)")},
        target=("articles", N_("Article"), namer(Article, Article.question)))
