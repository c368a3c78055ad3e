"""The search page (``/search``, every role) and the suggestions while typing
(``/knowledge/suggest``): both answer only what the user may see."""

from __future__ import annotations

import re

from flask import redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal.auth.decorators import require
from portal.search import bp, sources
from portal.search import engine as search
from portal.search.snippet import marked
from portal.search.tokens import QUERY_MAX, parse
from portal.web import is_fragment_request, render

PER_PAGE = 30  # hits of the page
PER_FRAGMENT = 8  # hits of an htmx answer while typing (≤ 5 KB); "more" opens the page
SUGGESTED = 5
SUGGEST_TAIL = 12  # characters of the end of what is typed a suggestion looks for
REPLY_SHOWN = 150  # characters of a reply shown (and inserted) in a suggestion
SENTENCE_END = re.compile(r"[\n。！？!?；;，,]+")


def _kinds(user) -> dict:
    """The kinds the user may find, with their labels."""
    return {kind: source for kind, source in sources().items() if source.keys_for(user)}


@bp.route("/search", endpoint="index")
@require("search.view")
def index():
    """The one search box: articles, work records, complaints and handover items the user
    may see, title hits first, then newest first."""
    text = request.args.get("q", "")
    if request.args.get("in") == "customers" and current_user.can("customers.view"):
        return redirect(url_for("customers.index", q=text.strip()[:60]), 303)
    kinds = _kinds(current_user)
    kind = request.args.get("kind", "")
    chosen = [kind] if kind in kinds else None
    query = parse(text)
    fragment = is_fragment_request()
    hits, more = search.ask(text, search.keys_of(current_user, chosen),
                            limit=PER_FRAGMENT if fragment else PER_PAGE) \
        if query else ([], False)
    rows = [{
        "hit": hit, "label": kinds[hit.kind].label,
        "url": kinds[hit.kind].url(hit.ref_id, hit.ref),
        "title": marked(hit.title, query.terms, 40 if fragment else 100),
        "snippet": marked(_rest(hit), query.terms, 50 if fragment else 90),
    } for hit in hits if hit.kind in kinds]
    return render("search/index.html", block="search_results", text=text, query=query,
                  rows=rows, more=more, kinds=kinds, kind=kind if chosen else "",
                  fragment=fragment, whole=url_for("search.index", q=text[:QUERY_MAX],
                                                   kind=kind if chosen else None),
                  cut=len(text) > QUERY_MAX)


def _rest(hit) -> str:
    """The text of a hit besides its title (a handover item's text is both)."""
    body = hit.body or ""
    return body[len(hit.title):].strip() if hit.title and body.startswith(hit.title) else body


def _tail(text: str) -> str:
    """The end of what is typed: its last sentence's last characters."""
    pieces = [piece for piece in SENTENCE_END.split(text) if parse(piece)]
    return pieces[-1].strip()[-SUGGEST_TAIL:] if pieces else ""


@bp.route("/knowledge/suggest", endpoint="suggest")
@require("knowledge.view")
def suggest():
    """The top 5 published articles for what is being typed in ``field`` (≤ 5 KB, ≤ 3
    queries: the user, at most two asks)."""
    field = request.args.get("field", "")[:40]
    typed = request.args.get(field, "") if field else ""
    typed = typed or request.args.get("q", "")
    tail = _tail(typed[-2000:])
    # the end of what is typed, then its last 4 and 2 characters: one statement
    hits = search.ask_first([tail, tail[-4:], tail[-2:]], ["__article_published"],
                            limit=SUGGESTED) if tail else []
    source = sources().get("article")
    query = parse(tail)
    rows = [{"hit": hit, "url": source.url(hit.ref_id, hit.ref) if source else None,
             "title": marked(hit.title, query.terms, 60),
             "reply": hit.summary[:REPLY_SHOWN],
             "whole": len(hit.summary) <= REPLY_SHOWN} for hit in hits]
    return render("search/_suggest.html", rows=rows, field=field, typed=bool(tail))


def register(app) -> None:
    from portal.ui import NavItem, register_nav

    register_nav(app, NavItem("search.index", _l("Search"), "search.view", order=1))
