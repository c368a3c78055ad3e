"""Asking the index: the query's tokens AND the user's keys, newest first, title hits
first; the hits are then checked against the text (pairs of characters found apart are not
the term typed). The user's text never reaches MATCH or tsquery: only tokens (letters,
digits, CJK characters, ``_``), each quoted, do."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from portal.extensions import db
from portal.search import sources
from portal.search.models import search_docs
from portal.search.tokens import Query, key, parse

FTS = sa.table("search_fts", sa.column("rowid"))
SURPLUS = 2  # candidates asked per hit wanted (some fail the check)
# PostgreSQL plans, chosen by how many records hold the term (the planner cannot tell: it has
# no statistics of a word it never saw, and guesses "very few" for several words ANDed):
# - few (under FEW, which the GIN index tells in a few ms — GIN for a rare term, a scan
#   stopped early for a common one): all of them through GIN, sorted (ORDER BY id + 0 keeps
#   the planner off walking the ids, which read 2,000,000 rows for an order number nobody
#   wrote down: 2.7 s at scale 1);
# - many: the newest WINDOW ids walked newest first, the index kept out of it (a common pair
#   of characters hands GIN 100,000s of rows unordered: 160 ms where the walk took 2 ms);
#   when that slice has too few, all of them through GIN, sorted.
FEW = 2_000
WINDOW = 50_000
# …and before both, the newest GLANCE ids are walked: a phrase of common pairs (七天无理由)
# is found there in a few ms, where asking GIN how many hold its four pairs reads four long
# posting lists (30–50 ms); a rare term costs the walk of 5,000 rows more.
GLANCE = 5_000


@dataclass(frozen=True)
class Hit:
    id: int
    kind: str
    ref_id: int
    ref: str
    at: datetime
    title: str
    body: str
    summary: str
    in_title: bool


def keys_of(user, kinds=None) -> list[str]:
    """The index tokens of what ``user`` may see (of ``kinds``, all when None)."""
    found = []
    for kind, source in sources().items():
        if kinds is None or kind in kinds:
            found.extend(key(k) for k in source.keys_for(user))
    return list(dict.fromkeys(found))


def _columns(title: bool, attempt: int = 0):
    c = search_docs.c
    return (c.id, c.kind, c.ref_id, c.ref, c.at, c.title, c.body, c.summary,
            sa.literal(title).label("in_title"), sa.literal(attempt).label("attempt"))


def _sqlite(tokens: list[str], keys: list[str], title: bool, limit: int, before: int | None,
            attempt: int = 0):
    expression = " AND ".join(f'"{t}"' for t in tokens)
    expression += " AND (" + " OR ".join(f'"{k}"' for k in keys) + ")"
    query = (sa.select(*_columns(title, attempt)).select_from(FTS)
             .join(search_docs, search_docs.c.id == FTS.c.rowid)
             .where(sa.literal_column("search_fts").op("MATCH")(expression)))
    if before:
        query = query.where(FTS.c.rowid < before)
    return query.order_by(FTS.c.rowid.desc()).limit(limit)


def _all(tokens: list[str]) -> str:
    return " & ".join(f"'{t}'" for t in tokens)


def _any(keys: list[str]) -> str:
    return "(" + " | ".join(f"'{k}'" for k in keys) + ")"


def _tsquery(tokens: list[str], keys: list[str]) -> str:
    return _all(tokens) + " & " + _any(keys)


def _matches(tsquery: str, walk: bool = False):
    """``tsv @@ tsquery``; ``walk``: in a form the GIN index cannot answer (a filter on the
    rows walked)."""
    tsv = sa.func.coalesce(search_docs.c.tsv, sa.cast("", postgresql.TSVECTOR)) if walk \
        else search_docs.c.tsv
    return tsv.op("@@")(sa.cast(tsquery, postgresql.TSQUERY))


def _postgresql(tokens, keys, title, limit, before, floor=None, attempt=0, plan=None):
    """Newest first: walking the ids (plan "walk", from ``floor``); through GIN and sorted,
    GIN reading the tokens only and each row checked for the keys ("few": the keys are in
    every row, GIN would read 2,000,000 entries for them) or GIN reading both (“many”: a
    narrow key, such as one agent's own records, then cuts 40,000 rows down in the index);
    or as the planner likes (None)."""
    if plan == "few":
        where = sa.and_(_matches(_all(tokens)),
                        _matches(_any(keys), walk=True))
    else:
        where = _matches(_tsquery(tokens, keys), walk=plan == "walk")
    query = sa.select(*_columns(title, attempt)).where(where)
    if before:
        query = query.where(search_docs.c.id < before)
    if floor:
        query = query.where(search_docs.c.id > floor)
    newest = search_docs.c.id + 0 if plan in ("few", "many") else search_docs.c.id
    return query.order_by(newest.desc()).limit(limit)


def _selects(query: Query, keys: list[str], limit: int, before: int | None, floor=None,
             titles: bool = True, attempt: int = 0, plan: str | None = None):
    postgres = _postgres()
    parts = []
    for title in ((True, False) if titles else (False,)):
        asked = _asked(query, title)
        if postgres:
            parts.append(_postgresql(asked, keys, title, limit, before, floor, attempt, plan))
        else:
            parts.append(_sqlite(asked, keys, title, limit, before, attempt))
    return parts


def _asked(query: Query, title: bool) -> list[str]:
    """The index tokens of the query: a title's words are indexed with ``_`` before them."""
    return ["_" + t for t in query.tokens] if title else list(query.tokens)


def _few(query: Query, before: int | None, titles: bool) -> bool:
    """PostgreSQL: fewer than FEW records hold the query's tokens (in the title or the
    text) — see FEW. Whoever may see them: the keys are in every row, and GIN would read
    2,000,000 entries to apply them (17 ms); what this user may see is fewer still."""
    tsquery = " | ".join("(" + _all(_asked(query, title)) + ")"
                         for title in ((True, False) if titles else (False,)))
    found = sa.select(sa.literal(1)).where(_matches(tsquery))
    if before:
        found = found.where(search_docs.c.id < before)
    return db.session.scalar(sa.select(sa.func.count()).select_from(
        found.limit(FEW).subquery())) < FEW


def _postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _run(query: Query, keys: list[str], limit: int, before: int | None, titles: bool,
         windows: bool) -> list:
    """The candidates: one statement on SQLite; on PostgreSQL (see FEW) the newest GLANCE
    ids walked first (a common term ends there, or shows it will end in the WINDOW); else
    all of them through the index when few; else the newest WINDOW walked and, when it has
    too few, all of them through the index. Without ``windows``: no walking."""
    if not _postgres():
        return _execute(_selects(query, keys, limit, before, titles=titles))
    # the newest id only when the ids may be walked (``windows``): else no query for it
    top = (db.session.scalar(sa.select(sa.func.max(search_docs.c.id))) or 0) if windows else 0
    start = min(before or top + 1, top + 1)

    def walk(window: int) -> tuple[list, int]:
        rows = _execute(_selects(query, keys, limit, before, start - window, titles,
                                 plan="walk"))
        return rows, sum(not row.in_title for row in rows)  # hits anywhere in the text

    walking = windows and start - WINDOW > 0
    if walking:
        rows, hits = walk(GLANCE)
        if hits >= limit:
            return rows
        if hits * (WINDOW // GLANCE) >= limit:  # as dense as that: the window has enough
            rows, hits = walk(WINDOW)
            if hits >= limit:
                return rows
            walking = False
    if _few(query, before, titles):
        return _execute(_selects(query, keys, limit, before, titles=titles, plan="few"))
    if walking:
        rows, hits = walk(WINDOW)
        if hits >= limit:
            return rows
    return _execute(_selects(query, keys, limit, before, titles=titles, plan="many"))


def _execute(parts) -> list:
    union = sa.union_all(*(sa.select(p.subquery()) for p in parts)) if len(parts) > 1 \
        else parts[0]
    return list(db.session.execute(union))


def ask(text: str | None, keys: list[str], *, limit: int = 20, before: int | None = None,
        titles: bool = True, windows: bool = True) -> tuple[list[Hit], bool]:
    """Hits of ``text`` among records carrying one of ``keys`` (index tokens): title hits
    first, then the others, each newest first; and whether there may be more."""
    query = parse(text)
    if not query or not keys:
        return [], False
    asked = limit + 1 if query.exact else limit * SURPLUS
    rows = _run(query, keys, asked, before, titles, windows)
    more = sum(not row.in_title for row in rows) >= asked
    seen, hits = set(), []
    for row in rows:
        if row.id in seen or not query.holds(row.title, row.body):
            continue
        if row.in_title and not query.holds(row.title):
            continue
        seen.add(row.id)
        hits.append(Hit(row.id, row.kind, row.ref_id, row.ref, row.at, row.title, row.body,
                        row.summary, row.in_title))
    return hits[:limit], more or len(hits) > limit


def ask_first(texts: list[str], keys: list[str], *, limit: int = 5) -> list[Hit]:
    """Hits of the first of ``texts`` that has some, then of the next… (suggestions: the
    end of what is typed, then shorter ends), all asked in one statement."""
    parts, queries = [], []
    for text in dict.fromkeys(texts):
        query = parse(text)
        if query:
            parts.extend(_selects(query, keys, limit + 1, None, attempt=len(queries)))
            queries.append(query)
    if not parts or not keys:
        return []
    rows = sorted(_execute(parts), key=lambda row: (row.attempt, not row.in_title, -row.id))
    seen, hits = set(), []
    for row in rows:
        query = queries[row.attempt]
        if row.id in seen or not query.holds(row.title, row.body) or (
                row.in_title and not query.holds(row.title)):
            continue
        seen.add(row.id)
        hits.append(Hit(row.id, row.kind, row.ref_id, row.ref, row.at, row.title, row.body,
                        row.summary, row.in_title))
    return hits[:limit]


def ref_ids(kind: str, text: str | None, keys: list[str], limit: int = 1000) -> list[int]:
    """The ids of ``kind``'s records holding ``text`` (newest first, at most ``limit``),
    among those carrying one of ``keys`` (raw names): for an area's own filtered list."""
    hits, _more = ask(text, [key(k) for k in keys], limit=limit, titles=False)
    return [hit.ref_id for hit in hits if hit.kind == kind]
