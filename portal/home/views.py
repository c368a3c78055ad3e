"""The Today page: a frame of cards, each card filled by a request of its own.

Each area's card reads its own data (a few queries); a supervisor sees a dozen cards, so the
page itself reads none and htmx asks for every card as the page loads (``hx-trigger="load"``),
in parallel. Without JavaScript each card links to its own page.
"""

from flask import abort
from flask_login import current_user

from portal import clock
from portal.auth.decorators import require
from portal.home import bp
from portal.ui import cards_for
from portal.web import render


@bp.route("/")
@require("home.view")
def index():
    """Cards needing the user's attention today (filled one by one)."""
    return render("home/index.html", cards=cards_for(current_user), today_date=clock.today())


@bp.route("/today/<key>")
@require("home.view")
def card(key: str):
    """One Today card, filled: the htmx fragment, or a page of its own without JavaScript."""
    found = next((c for c in cards_for(current_user) if c.key == key), None)
    if found is None:
        abort(404)  # no such card, or not one of this user's
    return render("home/card.html", block="card", card=found,
                  context=found.context(current_user), today_date=clock.today())
