"""The knowledge base's rules (seed 002's 知识库维护与更新流程): articles written as drafts by
agents, published, retired, reverted and marked "reviewed, still right" by the editor
(``knowledge.edit``: the supervisor, or a person it was granted to); every change of an
article's text is an ``ArticleVersion`` (diffable, revertable); a daily-record line or an
unresolved question is promoted to a draft in one click.

Services take the acting user, write the audit trail in the same transaction, raise
``RuleError`` (nothing changed), ``Conflict`` (someone changed the article first) or
``NotAllowed``, and only flush: the action runner commits.
"""

import difflib
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from portal import audit, clock
from portal.actions import Conflict, NotAllowed
from portal.extensions import db
from portal.i18n import N_
from portal.knowledge.models import STATES, Article, ArticleVersion
from portal.rules import RuleError
from portal.worklog.models import QuestionCategory, WorkLine

# the article's text: what a version keeps and a revert brings back
TEXT_FIELDS = ("question", "phrasings", "answer", "reply_text", "category_id", "skus", "tags")
LIMITS = {"question": 300, "phrasings": 3000, "answer": 20000, "reply_text": 1000,
          "skus": 500, "tags": 300}
NOTE_MAX = 300
REVIEW_DAYS = 180  # an article not reviewed for this long is due for a look
PER_PAGE = 30
CARD_ROWS = 5


# --- who sees and does what -----------------------------------------------------------------


def writes(user) -> bool:
    """Writers (agents) and the editor see drafts and retired articles too."""
    return user.can("knowledge.write") or user.can("knowledge.edit")


def visible_states(user) -> tuple[str, ...]:
    return tuple(STATES) if writes(user) else ("published",)


def may_see(user, article: Article) -> bool:
    return article.state in visible_states(user)


def may_edit(user, article: Article) -> bool:
    """The editor changes any article; a writer changes drafts (a published answer is the
    editor's to change)."""
    return user.can("knowledge.edit") or (user.can("knowledge.write")
                                          and article.state == "draft")


def _expect(article: Article, version) -> None:
    if version is None or int(version) != article.version:
        raise Conflict(article)


# --- reading ---------------------------------------------------------------------------------


def list_query(user, *, category_id: int | None = None, state: str | None = None,
               tag: str | None = None):
    """The articles ``user`` may read, filtered (newest change first, keyset-paged by the
    caller on (updated_at, id))."""
    states = visible_states(user)
    if state:
        states = tuple(s for s in states if s == state)
    query = sa.select(Article).where(Article.state.in_(states or ("-",)))
    if category_id:
        query = query.where(Article.category_id == category_id)
    if tag:
        query = query.where((" " + Article.tags + " ").contains(f" {tag} ", autoescape=True))
    return query


def versions(article: Article) -> list[ArticleVersion]:
    """The article's versions, newest first."""
    return list(db.session.scalars(
        sa.select(ArticleVersion).where(ArticleVersion.article_id == article.id)
        .options(sa.orm.joinedload(ArticleVersion.user))
        .order_by(ArticleVersion.number.desc())))


def find_version(article: Article, number: int | None) -> ArticleVersion | None:
    if number is None:
        return None
    return db.session.scalar(sa.select(ArticleVersion).where(
        ArticleVersion.article_id == article.id, ArticleVersion.number == number))


def categories() -> list[QuestionCategory]:
    return list(db.session.scalars(
        sa.select(QuestionCategory).where(QuestionCategory.active.is_(True))
        .order_by(QuestionCategory.position, QuestionCategory.id)))


# --- the diff --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Piece:
    """A run of text in a diff: ``kind`` is "same", "ins" or "del"."""

    kind: str
    text: str


def diff(old: str, new: str) -> list[Piece]:
    """What changed from ``old`` to ``new``: lines first, then the characters inside a
    changed line (Chinese has no spaces: a word-level diff would mark whole sentences)."""
    old_lines, new_lines = (old or "").splitlines(True), (new or "").splitlines(True)
    pieces: list[Piece] = []

    def add(kind: str, text: str) -> None:
        if not text:
            return
        if pieces and pieces[-1].kind == kind:
            pieces[-1] = Piece(kind, pieces[-1].text + text)
        else:
            pieces.append(Piece(kind, text))

    lines = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for op, a1, a2, b1, b2 in lines.get_opcodes():
        before, after = "".join(old_lines[a1:a2]), "".join(new_lines[b1:b2])
        if op == "equal":
            add("same", before)
        elif op == "replace" and len(before) + len(after) <= 4000:
            chars = difflib.SequenceMatcher(None, before, after, autojunk=False)
            for cop, c1, c2, d1, d2 in chars.get_opcodes():
                if cop == "equal":
                    add("same", before[c1:c2])
                else:
                    add("del", before[c1:c2])
                    add("ins", after[d1:d2])
        else:
            add("del", before)
            add("ins", after)
    return pieces


def compare(old: ArticleVersion, new: ArticleVersion) -> dict[str, list[Piece]]:
    """The diff of each text field that differs between two versions."""
    result = {}
    for name in ("question", "phrasings", "answer", "reply_text", "skus", "tags"):
        a, b = getattr(old, name) or "", getattr(new, name) or ""
        if a != b:
            result[name] = diff(a, b)
    return result


# --- writing ---------------------------------------------------------------------------------


def _clean(fields: dict) -> dict:
    """The text fields trimmed and bounded; the question is required, a category must be
    one of the list's."""
    clean = {}
    for name in ("question", "phrasings", "answer", "reply_text", "skus", "tags"):
        value = (fields.get(name) or "").strip()
        if name in ("skus", "tags"):
            value = " ".join(value.replace(",", " ").replace("，", " ").split())
        if name == "phrasings":
            value = "\n".join(line.strip() for line in value.splitlines() if line.strip())
        if len(value) > LIMITS[name]:
            raise RuleError(N_("Keep this under %(max)d characters."), name, max=LIMITS[name])
        clean[name] = value
    if not clean["question"]:
        raise RuleError(N_("Write the question."), "question")
    category_id = fields.get("category_id") or None
    if category_id is not None:
        category = db.session.get(QuestionCategory, int(category_id))
        if category is None:
            raise RuleError(N_("Choose a category from the list."), "category_id")
    clean["category_id"] = category_id
    return clean


def _snapshot(user, article: Article, note: str) -> ArticleVersion:
    """Keep the article as it is now as its newest version."""
    kept = ArticleVersion(article_id=article.id, number=article.revision, state=article.state,
                          user_id=user.id if user is not None else None, at=clock.now(),
                          note=(note or "")[:NOTE_MAX],
                          **{name: getattr(article, name) for name in TEXT_FIELDS})
    db.session.add(kept)
    return kept


def _require_answer(article: Article) -> None:
    if not (article.answer or "").strip():
        raise RuleError(N_("An article is published with its answer: write the answer first."),
                        "answer")


def create(user, fields: dict, note: str = "") -> Article:
    """A new draft written by ``user``."""
    if not writes(user):
        raise NotAllowed("knowledge.write")
    clean = _clean(fields)
    now = clock.now()
    article = Article(state="draft", author_id=user.id, created_at=now, updated_at=now,
                      revision=1, **clean)
    db.session.add(article)
    db.session.flush()
    _snapshot(user, article, note or "created")
    audit.record("knowledge.created", article, actor=user,
                 changes={"question": [None, article.question]})
    return article


def update(user, article: Article, version, fields: dict, note: str = "") -> Article:
    """Save a change of the text: a new version (a stale ``version`` is a conflict: the
    editor sees theirs and ours)."""
    _expect(article, version)
    if not may_edit(user, article):
        raise NotAllowed("knowledge.edit")
    clean = _clean(fields)
    before = {name: getattr(article, name) for name in TEXT_FIELDS}
    for name, value in clean.items():
        setattr(article, name, value)
    changes = audit.changes(article, TEXT_FIELDS, before)
    if not changes:
        raise RuleError(N_("Nothing was changed."))
    if article.state == "published":
        _require_answer(article)
    article.revision += 1
    article.updated_at = clock.now()
    _snapshot(user, article, note)
    audit.record("knowledge.changed", article, actor=user,
                 changes={k: [str(a)[:200] if a is not None else None,
                              str(b)[:200] if b is not None else None]
                          for k, (a, b) in changes.items()})
    db.session.flush()  # a change made meanwhile fails here: the runner answers 409
    return article


def _editor(user) -> None:
    if not user.can("knowledge.edit"):
        raise NotAllowed("knowledge.edit")


def set_state(user, article: Article, version, state: str) -> Article:
    """Publish a draft or a retired article (the reviewer is the editor), or retire a
    published one. Only the editor."""
    _editor(user)
    _expect(article, version)
    if state not in ("published", "retired"):
        raise RuleError(N_("Choose a state from the list."), "state")
    allowed = {"published": ("draft", "retired"), "retired": ("published",)}[state]
    if article.state not in allowed:
        raise Conflict(article)  # someone else moved it first: show where it is now
    before = article.state
    now = clock.now()
    if state == "published":
        _require_answer(article)
        article.reviewer_id, article.reviewed_at, article.published_at = user.id, now, now
    article.state = state
    article.revision += 1
    article.updated_at = now
    _snapshot(user, article, state)
    audit.record(f"knowledge.{state}", article, actor=user, changes={"state": [before, state]})
    db.session.flush()
    return article


def mark_reviewed(user, article: Article, version) -> Article:
    """"Reviewed, still right": the editor read a published article again."""
    _editor(user)
    _expect(article, version)
    if article.state != "published":
        raise RuleError(N_("Only a published article is reviewed."))
    article.reviewer_id, article.reviewed_at = user.id, clock.now()
    audit.record("knowledge.reviewed", article, actor=user)
    db.session.flush()
    return article


def revert(user, article: Article, version, number) -> Article:
    """Bring back the text of version ``number``: a new version (nothing is lost)."""
    _editor(user)
    _expect(article, version)
    old = find_version(article, number)
    if old is None:
        raise RuleError(N_("Choose a version from the list."), "number")
    changed = [name for name in TEXT_FIELDS if getattr(article, name) != getattr(old, name)]
    if not changed:
        raise RuleError(N_("The article already reads as that version."))
    for name in TEXT_FIELDS:
        setattr(article, name, getattr(old, name))
    if article.state == "published":
        _require_answer(article)
    article.revision += 1
    article.updated_at = clock.now()
    _snapshot(user, article, f"reverted to {old.number}")
    audit.record("knowledge.reverted", article, actor=user, details={"to": old.number})
    db.session.flush()
    return article


# --- promote ---------------------------------------------------------------------------------


def may_promote(user, line: WorkLine) -> bool:
    """An agent promotes their own lines; the editor and the supervisor any."""
    return user.can("knowledge.write") and (
        line.user_id == user.id or user.can("knowledge.edit") or user.can("worklog.oversee")
    ) or user.can("knowledge.edit")


def promote(user, line: WorkLine) -> Article:
    """A daily-record line (or an unresolved question) becomes a draft article: question,
    answer and category copied; the line points at the draft."""
    if not may_promote(user, line):
        raise NotAllowed("knowledge.write")
    if line.article_id is not None:
        raise RuleError(N_("This question was promoted to an article already."))
    now = clock.now()
    article = Article(question=line.question[:LIMITS["question"]], answer=line.answer or "",
                      category_id=line.category_id, state="draft", author_id=user.id,
                      created_at=now, updated_at=now, revision=1)
    if len(line.question) > LIMITS["question"]:
        article.answer = (line.question + "\n\n" + article.answer).strip()
    db.session.add(article)
    db.session.flush()
    line.article_id = article.id
    _snapshot(user, article, "promoted")
    audit.record("knowledge.promoted", article, actor=user, details={"line": line.id})
    db.session.flush()
    return article


# --- the editor's card -----------------------------------------------------------------------


def editor_counts() -> dict:
    """Unresolved questions not yet promoted, drafts waiting, published articles not
    reviewed in ``REVIEW_DAYS`` days: one query."""
    stale = clock.now() - timedelta(days=REVIEW_DAYS)
    unresolved = sa.select(sa.func.count()).select_from(WorkLine).where(
        WorkLine.resolved.is_(False), WorkLine.article_id.is_(None)).scalar_subquery()
    drafts = sa.select(sa.func.count()).select_from(Article).where(
        Article.state == "draft").scalar_subquery()
    old = sa.select(sa.func.count()).select_from(Article).where(
        Article.state == "published",
        sa.or_(Article.reviewed_at.is_(None), Article.reviewed_at < stale)).scalar_subquery()
    row = db.session.execute(sa.select(unresolved, drafts, old)).one()
    return {"unresolved": row[0], "drafts": row[1], "stale": row[2]}


def unresolved_query():
    """Unresolved questions of the daily records not promoted yet (newest first, keyset on
    (day, id))."""
    return sa.select(WorkLine).where(WorkLine.resolved.is_(False),
                                     WorkLine.article_id.is_(None)).options(
        sa.orm.joinedload(WorkLine.user))


def is_stale(article: Article) -> bool:
    """A published article not reviewed in ``REVIEW_DAYS`` days."""
    return article.state == "published" and (
        article.reviewed_at is None
        or article.reviewed_at < clock.now() - timedelta(days=REVIEW_DAYS))


def stale_query():
    stale = clock.now() - timedelta(days=REVIEW_DAYS)
    return sa.select(Article).where(
        Article.state == "published",
        sa.or_(Article.reviewed_at.is_(None), Article.reviewed_at < stale))


# --- canned replies (the after-sales reply picker) ------------------------------------------


def with_reply(limit: int = 60) -> list[Article]:
    """Published articles that carry a short reply text (the canned replies)."""
    return list(db.session.scalars(
        sa.select(Article).where(Article.state == "published", Article.reply_text != "")
        .order_by(Article.id).limit(limit)))
