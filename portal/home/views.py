"""The Today page."""

from flask_login import current_user

from portal import clock
from portal.auth.decorators import require
from portal.home import bp
from portal.ui import cards_for
from portal.web import render


@bp.route("/")
@require("home.view")
def index():
    """Cards needing the user's attention today."""
    cards = [(card, card.context(current_user)) for card in cards_for(current_user)]
    return render("home/index.html", cards=cards, today_date=clock.today())
