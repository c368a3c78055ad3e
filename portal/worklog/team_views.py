"""The supervisor's view of the work record: the day's totals per agent and category
(每日工作统计, /worklog/team), the unresolved questions for the knowledge editor
(/worklog/unresolved, keyset pages, newest first), and the question categories
(/worklog/categories, the one list the knowledge base shares).
"""

from datetime import timedelta

from flask import abort, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal import actions, clock
from portal.auth.decorators import require
from portal.extensions import db
from portal.forms import INT_MAX
from portal.live.counters import cheap_poll
from portal.paging import keyset_page
from portal.web import render
from portal.worklog import bp
from portal.worklog import services as svc
from portal.worklog.day_views import EVENT, day_arg
from portal.worklog.forms import CategoryEditForm, CategoryForm
from portal.worklog.models import QuestionCategory

TEAM = "worklog/team.html"
UNRESOLVED = "worklog/unresolved.html"
CATEGORIES = "worklog/categories.html"


@bp.route("/team", endpoint="team")
@require("worklog.oversee")
@cheap_poll("work_lines", "question_categories")
def team():
    """The day's totals per agent and per category; an agent opens their day."""
    day = day_arg()
    today = clock.today()
    return render(TEAM, block="team_totals", totals=svc.day_totals(day), day=day, today=today,
                  prev_day=day - timedelta(days=1),
                  next_day=day + timedelta(days=1) if day < today else None)


@bp.route("/unresolved", endpoint="unresolved")
@require("worklog.oversee")
def unresolved():
    """Questions not resolved, newest first, for the knowledge editor."""
    page = keyset_page(svc.unresolved_query(), svc.UNRESOLVED_KEY,
                       before=request.args.get("before"), after=request.args.get("after"),
                       per_page=svc.UNRESOLVED_PAGE)
    return render(UNRESOLVED, block="unresolved_list", page=page, today=clock.today(),
                  orders=svc.order_numbers(page.items))


def supervisor_card(user) -> dict:
    return svc.supervisor_card(user)


# --- question categories ---------------------------------------------------------------------


def _list_context(**extra) -> dict:
    rows = svc.categories(active_only=False)
    forms = {}
    for category in rows:
        form = CategoryEditForm(formdata=None, obj=None)
        form.name.data = category.name
        form.name_tw.data = (category.names or {}).get("zh_TW", "")
        form.name_en.data = (category.names or {}).get("en", "")
        form.position.data, form.active.data = category.position, category.active
        form.version.data = category.version
        forms[category.id] = form
    return {"categories": rows, "forms": forms, "new_form": CategoryForm(formdata=None),
            **extra}


class CategoryAnswer:
    """The list as it is now with the message; a refused form as typed."""

    def __init__(self, category: QuestionCategory | None = None) -> None:
        self.category = category

    def _page(self, form=None, message=None, status_ok=True):
        ctx = _list_context(message=message, message_ok=status_ok)
        if form is not None:
            if self.category is None:
                ctx["new_form"] = form
            else:
                ctx["forms"][self.category.id] = form
        return render(CATEGORIES, block="category_list", **ctx)

    def done(self, category, message):
        return self._page(message=message)

    def refused(self, form, message):
        return self._page(form, message, False)

    def conflict(self, form, message):
        return self._page(form, message, False)

    def location(self, category) -> str:
        return url_for("worklog.categories")


@bp.route("/categories", methods=["GET", "POST"], endpoint="categories")
@require("worklog.manage")
def categories():
    """The question categories: names per language, order, active (add one by POST)."""
    if request.method == "GET":
        return render(CATEGORIES, block="category_list", **_list_context())
    form = CategoryForm()
    return actions.run(
        lambda: svc.save_category(current_user, None, name=form.name.data,
                                  name_tw=form.name_tw.data, name_en=form.name_en.data,
                                  position=form.position.data, active=bool(form.active.data)),
        form=form, answer=CategoryAnswer(), done=_l("Category added."))


@bp.route("/categories/<int:category_id>", methods=["POST"], endpoint="category_edit")
@require("worklog.manage")
def category_edit(category_id: int):
    """Change a category (version-checked)."""
    if not 0 < category_id <= INT_MAX:
        abort(404)
    category = db.get_or_404(QuestionCategory, category_id)
    form = CategoryEditForm()
    return actions.run(
        lambda: svc.save_category(current_user, category, name=form.name.data,
                                  name_tw=form.name_tw.data, name_en=form.name_en.data,
                                  position=form.position.data, active=bool(form.active.data),
                                  version=form.version.data),
        form=form, answer=CategoryAnswer(category), done=_l("Saved."), subject=category)


def register(app) -> None:
    """The team page in the navigation and the supervisor's Today card."""
    from portal.ui import Card, NavItem, register_card, register_nav

    register_nav(app, NavItem("worklog.team", _l("Daily work statistics"), "worklog.oversee",
                              order=61, active_prefix=("worklog.team", "worklog.unresolved")))
    register_nav(app, NavItem("worklog.categories", _l("Question categories"),
                              "worklog.manage", order=62, active_prefix="worklog.categor"))
    register_card(app, Card("worklog-team", _l("Work records today"), "worklog.oversee",
                            "worklog/_card_team.html", supervisor_card, order=36,
                            stylesheet="css/worklog.css", events=(EVENT,)))

