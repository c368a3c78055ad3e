"""The knowledge base (知识库, seed 002's 知识库维护与更新流程): the answers that work, kept
current by a named editor, found in seconds while a buyer waits. Every change of an article
is a version (diffable, revertable); canned replies are published articles with a short
reply text.
"""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal import clock
from portal.database import UTCDateTime
from portal.extensions import db
from portal.i18n import N_
from portal.worklog.models import QuestionCategory  # noqa: F401 - mapped before articles

STATES = {
    "draft": N_("Draft"),
    "published": N_("Published"),
    "retired": N_("Retired"),
}


class Article(db.Model):
    """One question (with its other phrasings) and the answer that works."""

    __tablename__ = "articles"
    __table_args__ = (
        sa.Index("ix_articles_state_updated", "state", "updated_at", "id"),
        # the list of every state one may read (an IN of states cannot walk the one above
        # in order: 50,000 articles sorted for each page, 25 ms on PostgreSQL)
        sa.Index("ix_articles_updated", "updated_at", "id"),
        sa.Index("ix_articles_category_state", "category_id", "state"),
        sa.Index("ix_articles_reviewed", "state", "reviewed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    question: Mapped[str] = mapped_column(sa.String(300))  # the title
    phrasings: Mapped[str] = mapped_column(sa.Text, default="")  # other ways, one per line
    answer: Mapped[str] = mapped_column(sa.Text, default="")
    reply_text: Mapped[str] = mapped_column(sa.String(1000), default="")  # the canned reply
    category_id: Mapped[int | None] = mapped_column(sa.ForeignKey("question_categories.id"))
    skus: Mapped[str] = mapped_column(sa.String(500), default="")  # products / SKUs, spaced
    tags: Mapped[str] = mapped_column(sa.String(300), default="")  # spaced
    state: Mapped[str] = mapped_column(sa.String(10), default="draft")  # STATES
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    reviewer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    revision: Mapped[int] = mapped_column(default=1)  # the number of its newest version
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    author = relationship("User", foreign_keys=[author_id])
    reviewer = relationship("User", foreign_keys=[reviewer_id])
    category = relationship("QuestionCategory", lazy="joined")


class ArticleVersion(db.Model):
    """An article as it was after one change (every change is kept)."""

    __tablename__ = "article_versions"
    __table_args__ = (sa.UniqueConstraint("article_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(sa.ForeignKey("articles.id"))
    number: Mapped[int] = mapped_column()
    question: Mapped[str] = mapped_column(sa.String(300))
    phrasings: Mapped[str] = mapped_column(sa.Text, default="")
    answer: Mapped[str] = mapped_column(sa.Text, default="")
    reply_text: Mapped[str] = mapped_column(sa.String(1000), default="")
    category_id: Mapped[int | None] = mapped_column(sa.ForeignKey("question_categories.id"))
    skus: Mapped[str] = mapped_column(sa.String(500), default="")
    tags: Mapped[str] = mapped_column(sa.String(300), default="")
    state: Mapped[str] = mapped_column(sa.String(10))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    note: Mapped[str] = mapped_column(sa.String(300), default="")  # "published", "reverted to 3"

    user = relationship("User")
