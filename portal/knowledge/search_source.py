"""Articles in the one search box (portal/search): the question is the title; published
articles are found by every reader of the knowledge base, drafts and retired ones by the
editor and their author."""

from flask_babel import lazy_gettext as _l

from portal.knowledge.models import Article
from portal.search import Doc, Source, link, register_source


def doc(article) -> Doc:
    body = "\n".join(part for part in (article.phrasings, article.answer, article.reply_text,
                                       article.skus, article.tags) if part)
    if article.state == "published":
        keys = ("article_published",)
    else:
        keys = ("article_editing", f"article_author_{article.author_id}")
    return Doc(article.question or "", body, article.created_at, keys,
               summary=article.reply_text or "")


def keys_for(user) -> tuple[str, ...]:
    keys = []
    if user.can("knowledge.view"):
        keys.append("article_published")
    if user.can("knowledge.edit"):
        keys.append("article_editing")
    elif user.can("knowledge.write"):
        keys.append(f"article_author_{user.id}")
    return tuple(keys)


def register(app) -> None:
    register_source(app, Source(
        kind="article", label=_l("Article"), model=Article, order=10,
        columns=("question", "phrasings", "answer", "reply_text", "skus", "tags", "state",
                 "author_id", "created_at"),
        doc=doc, keys_for=keys_for,
        url=lambda ref_id, ref: link("knowledge.show", article_id=ref_id)))
