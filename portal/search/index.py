"""Keeping the index current: after each flush, in the same transaction, the records of a
registered kind that are new, changed (in a column their ``Doc`` reads) or deleted are
written to ``search_docs`` (on SQLite its triggers keep ``search_fts``); ``rebuild`` writes
everything again in batches, oldest first, so ids follow recency (the migration's backfill
and the bench use it)."""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator

import sqlalchemy as sa
from flask import has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from portal.search import Doc, Source, sources
from portal.search.models import search_docs
from portal.search.tokens import BODY_MAX, doc_tokens, key

TITLE_MAX = 300


def values(source: Source, ref_id: int, doc: Doc) -> dict:
    """The row of ``search_docs`` for one record."""
    title = (doc.title or "")[:TITLE_MAX]
    body = (doc.body or "")[:BODY_MAX]
    tokens = doc_tokens(title, body, [key(k) for k in doc.keys])
    return {"kind": source.kind, "ref_id": ref_id, "ref": (doc.ref or "")[:40], "at": doc.at,
            "title": title, "body": body,
            "summary": (doc.summary or "")[:300], "tokens": " ".join(tokens)}


def _tsv(dialect_name: str):
    """The tsvector of the ``tokens`` parameter (PostgreSQL), None elsewhere."""
    if dialect_name != "postgresql":
        return None
    return sa.func.array_to_tsvector(sa.func.string_to_array(sa.bindparam("tsv_tokens"), " "))


def insert_rows(connection_or_session, rows: list[dict]) -> None:
    """Insert ``search_docs`` rows (executemany; the tsvector made by the database)."""
    if not rows:
        return
    target = connection_or_session
    dialect = target.dialect if hasattr(target, "dialect") else target.get_bind().dialect
    statement = search_docs.insert()
    tsv = _tsv(dialect.name)
    if tsv is not None:
        statement = statement.values(tsv=tsv)
        rows = [dict(row, tsv_tokens=row["tokens"]) for row in rows]
    connection_or_session.execute(statement, rows)


def _changed(obj, columns) -> bool:
    state = sa.inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in columns
               if name in state.attrs)


def _write(session: Session, flush_context) -> None:
    if not has_app_context():
        return
    by_model = {source.model: source for source in sources().values()}
    if not by_model:
        return
    new, changed, gone = [], [], []
    for obj in session.new:
        source = by_model.get(type(obj))
        if source and obj.id is not None:
            new.append((source, obj))
    for obj in session.dirty:
        source = by_model.get(type(obj))
        if source and obj not in session.new and _changed(obj, source.columns):
            changed.append((source, obj))
    for obj in session.deleted:
        source = by_model.get(type(obj))
        if source:
            gone.append((source, obj))
    if not (new or changed or gone):
        return
    for source, obj in gone:
        session.execute(search_docs.delete().where(search_docs.c.kind == source.kind,
                                                   search_docs.c.ref_id == obj.id))
    rows = [values(source, obj.id, source.doc(obj)) for source, obj in sorted(
        new, key=lambda pair: pair[1].id)]
    tsv = _tsv(session.get_bind().dialect.name)
    for source, obj in changed:
        row = values(source, obj.id, source.doc(obj))
        statement = (search_docs.update()
                     .where(search_docs.c.kind == source.kind, search_docs.c.ref_id == obj.id)
                     .values({k: v for k, v in row.items() if k not in ("kind", "ref_id")}))
        if tsv is not None:
            statement = statement.values(tsv=sa.func.array_to_tsvector(
                sa.func.string_to_array(row["tokens"], " ")))
        if session.execute(statement).rowcount == 0:
            rows.append(row)  # written before the index existed
    insert_rows(session, rows)


def init_app(app) -> None:
    if not event.contains(Session, "after_flush", _write):
        event.listen(Session, "after_flush", _write)


# --- writing everything again ------------------------------------------------------------------


def _stream(connection, source: Source, batch: int) -> Iterator[tuple]:
    """(at, kind, id, row) of every record of ``source``, oldest first, read in batches by
    id (records are written in time order, so id order is nearly time order)."""
    table = source.model.__table__
    columns = [table.c[name] for name in dict.fromkeys(("id", *source.columns))]
    last = 0
    while True:
        rows = connection.execute(sa.select(*columns).where(table.c.id > last)
                                  .order_by(table.c.id).limit(batch)).all()
        if not rows:
            return
        for row in rows:
            doc = source.doc(row)
            yield doc.at, source.kind, row.id, doc
        last = rows[-1].id


def rebuild(connection, kinds: Iterable[str] | None = None, batch: int = 5000) -> int:
    """Delete and write again the index of ``kinds`` (all registered ones): one merged pass
    over the sources, oldest first (ids in recency order), ``batch`` rows per insert."""
    chosen = [s for k, s in sources().items() if kinds is None or k in set(kinds)]
    if kinds is None:
        connection.execute(search_docs.delete())
    else:
        connection.execute(search_docs.delete().where(
            search_docs.c.kind.in_([s.kind for s in chosen])))
    by_kind = {s.kind: s for s in chosen}
    merged = heapq.merge(*(_stream(connection, s, batch) for s in chosen),
                         key=lambda item: (item[0], item[1], item[2]))
    written, pending = 0, []
    for _at, kind, ref_id, doc in merged:
        pending.append(values(by_kind[kind], ref_id, doc))
        if len(pending) >= batch:
            insert_rows(connection, pending)
            written += len(pending)
            pending = []
    insert_rows(connection, pending)
    return written + len(pending)
