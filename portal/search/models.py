"""The one search index (docs/search.md): a row per searchable record of any area, with
its title and text as shown in results, and its tokens.

- SQLite: ``search_fts``, an FTS5 table over ``search_docs.tokens`` (external content,
  ``unicode61`` over the pre-made token string, ``_`` a token character), kept by triggers
  on ``search_docs``; its rowid is ``search_docs.id``, so ``ORDER BY rowid DESC LIMIT n``
  reads the newest hits without sorting them all.
- PostgreSQL: ``search_docs.tsv``, ``array_to_tsvector`` of the same tokens (no parser, no
  dictionary), with a GIN index.
"""

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from portal.database import UTCDateTime
from portal.extensions import db

search_docs = sa.Table(
    "search_docs", db.metadata,
    sa.Column("id", sa.Integer, primary_key=True),  # recency: newer records, larger ids
    sa.Column("kind", sa.String(12), nullable=False),
    sa.Column("ref_id", sa.Integer, nullable=False),
    sa.Column("ref", sa.String(40), nullable=False, server_default=""),  # for its link
    sa.Column("at", UTCDateTime(), nullable=False),
    sa.Column("title", sa.String(300), nullable=False, server_default=""),
    sa.Column("body", sa.Text, nullable=False, server_default=""),
    # shown under the title besides the snippet (an article's reply text)
    sa.Column("summary", sa.String(300), nullable=False, server_default=""),
    sa.Column("tokens", sa.Text, nullable=False, server_default=""),
    # PostgreSQL only (NULL and unindexed on SQLite, where search_fts serves)
    sa.Column("tsv", sa.Text().with_variant(postgresql.TSVECTOR(), "postgresql")),
    sa.UniqueConstraint("kind", "ref_id", name="uq_search_docs_kind_ref"),
    sa.Index("ix_search_docs_tsv", "tsv", postgresql_using="gin",
             sqlite_where=sa.text("tsv IS NOT NULL")),
)

FTS_TABLES = ("search_fts", "search_fts_data", "search_fts_idx", "search_fts_docsize",
              "search_fts_config", "search_fts_content")
db.metadata.info.setdefault("unmodelled", set()).update(FTS_TABLES)

SQLITE_DDL = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(tokens, content='search_docs', "
    "content_rowid='id', tokenize=\"unicode61 remove_diacritics 0 tokenchars '_'\", "
    "detail=none)",
    "CREATE TRIGGER IF NOT EXISTS search_docs_ai AFTER INSERT ON search_docs BEGIN "
    "INSERT INTO search_fts(rowid, tokens) VALUES (new.id, new.tokens); END",
    "CREATE TRIGGER IF NOT EXISTS search_docs_ad AFTER DELETE ON search_docs BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, tokens) VALUES ('delete', old.id, old.tokens); "
    "END",
    "CREATE TRIGGER IF NOT EXISTS search_docs_au AFTER UPDATE OF tokens ON search_docs BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, tokens) VALUES ('delete', old.id, old.tokens); "
    "INSERT INTO search_fts(rowid, tokens) VALUES (new.id, new.tokens); END",
)
SQLITE_DROP = ("DROP TRIGGER IF EXISTS search_docs_au", "DROP TRIGGER IF EXISTS search_docs_ad",
               "DROP TRIGGER IF EXISTS search_docs_ai", "DROP TABLE IF EXISTS search_fts")


def create_fts(connection) -> None:
    """The SQLite FTS5 table and its triggers (nothing on PostgreSQL)."""
    if connection.dialect.name == "sqlite":
        for statement in SQLITE_DDL:
            connection.exec_driver_sql(statement)


def drop_fts(connection) -> None:
    if connection.dialect.name == "sqlite":
        for statement in SQLITE_DROP:
            connection.exec_driver_sql(statement)


@sa.event.listens_for(search_docs, "after_create")
def _after_create(target, connection, **kw) -> None:
    create_fts(connection)


@sa.event.listens_for(search_docs, "before_drop")
def _before_drop(target, connection, **kw) -> None:
    drop_fts(connection)
