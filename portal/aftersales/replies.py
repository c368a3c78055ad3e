"""Canned replies (快捷回复): short texts an agent copies in one click into the platform's
chat, with the case's facts filled in where the text names them (``{买家}``, ``{订单号}``,
``{快递单号}``, ``{退货单号}``; or ``{buyer}``, ``{order_no}``, ``{tracking_no}``,
``{return_tracking_no}``). What was sent is recorded on the case as a reply to the customer
(``cases.record_reply``), never as an internal note.

The replies live in the knowledge base (one place for answers): a published article with a
short reply text is a canned reply; its question is the button's title. The knowledge editor
keeps them there (``portal.knowledge``); this module only reads them and fills them in.
The defaults put the department's rules in a customer's words (R-A1 seven days without a
reason, R-A2 photos, R-A3 freight, R-A4 the card in the parcel and the return tracking
number, R-A6 calm first, then an exchange rather than a refund).
"""

import re
from dataclasses import dataclass

import sqlalchemy as sa

from portal import clock
from portal.extensions import db
from portal.knowledge.models import Article, ArticleVersion

SHOWN_MAX = 60  # a case page lists at most this many replies

# Data, not interface text: what an agent sends to a customer (in the customer's language).
DEFAULT_REPLIES = (
    # R-A6: calm first, then an exchange rather than a refund
    ("先安抚，再换货", "亲，非常抱歉给您带来不好的体验，您先别着急，我们一定帮您妥善处理。"
     "如果商品确实有问题，我们优先为您换一件新的，让您尽快用上，您看可以吗？"),
    # R-A2: photos before a quality claim is decided
    ("请提供照片", "亲，麻烦您拍几张问题部位的清晰照片发给我们（最好包括外包装和快递面单），"
     "我们核实后马上为您处理。"),
    # R-A1: seven days, no reason needed
    ("7天无理由", "亲，签收后 7 天内支持无理由退换货，请保证商品完好、包装盒完整、"
     "不影响二次销售，我们收到后尽快为您处理。"),
    # R-A3: freight
    ("运费说明", "亲，如果是商品质量问题，来回运费由我们承担：退回时请您先垫付运费，"
     "我们收到退货后会把运费退还给您；非质量问题的退换，寄回的运费需要您承担，感谢理解。"),
    # R-A4: the card in the parcel and the return tracking number
    ("包裹内附卡片", "亲，寄回时请在包裹里放一张卡片，写上您的会员名（ID）、联系电话、"
     "退换原因和需要更换的商品；寄出后请把退货快递单号告诉我们，我们会第一时间登记。"),
    # R-A4: the return tracking number is registered at once
    ("退货单号已登记", "{买家} 您好，您订单 {订单号} 的退货快递单号 {退货单号} 已登记，"
     "仓库收到包裹后我们马上为您处理。"),
    # R-O10: where the parcel is
    ("物流查询", "{买家} 您好，您的订单 {订单号} 已发出，快递单号 {快递单号}，"
     "可以在平台的订单详情里查看物流进度。"),
)


# the facts a reply may name, each by its Chinese or English placeholder
PLACEHOLDERS = {"买家": "buyer", "buyer": "buyer", "订单号": "order_no", "order_no": "order_no",
                "快递单号": "tracking_no", "tracking_no": "tracking_no",
                "退货单号": "return_tracking_no", "return_tracking_no": "return_tracking_no"}
_PLACEHOLDER = re.compile(r"[{｛](" + "|".join(map(re.escape, PLACEHOLDERS)) + r")[}｝]")


def case_facts(case) -> dict[str, str | None]:
    """What a reply may name about ``case``: the buyer's platform account, the order number,
    the order's tracking number and the return parcel's (None: not known)."""
    order = case.order
    return {"buyer": order.buyer_id if order is not None else None,
            "order_no": case.order_no,
            "tracking_no": order.tracking_no if order is not None else None,
            "return_tracking_no": case.return_tracking_no}


@dataclass(frozen=True)
class Reply:
    """A canned reply: the article's id, its question as the title, its reply text."""

    id: int
    title: str
    text: str

    @classmethod
    def of(cls, article: Article) -> "Reply":
        return cls(article.id, article.question, article.reply_text)


@dataclass(frozen=True)
class Filled:
    """A reply ready to send: its text with the facts filled in, and the placeholders left
    as they were because the case does not know them (the agent completes those)."""

    reply: Reply
    text: str
    missing: tuple[str, ...]


def fill(reply: Reply, facts: dict[str, str | None]) -> Filled:
    """``reply`` with ``facts`` in place of its placeholders."""
    missing: list[str] = []

    def put(match: re.Match) -> str:
        value = facts.get(PLACEHOLDERS[match.group(1)])
        if value:
            return value
        if match.group(0) not in missing:
            missing.append(match.group(0))
        return match.group(0)

    return Filled(reply, _PLACEHOLDER.sub(put, reply.text), tuple(missing))


def for_case(case) -> list[Filled]:
    """The canned replies filled in for ``case`` (one query)."""
    facts = case_facts(case)
    return [fill(reply, facts) for reply in active()]


def _offered():
    return sa.select(Article).where(Article.state == "published", Article.reply_text != "")


def active() -> list[Reply]:
    """The replies an agent may insert: published articles with a reply text, oldest first
    (bounded)."""
    return [Reply.of(article) for article in db.session.scalars(
        _offered().order_by(Article.id).limit(SHOWN_MAX))]


def find(reply_id: int) -> Reply | None:
    """One offered reply by its article's id (None: no such published reply)."""
    article = db.session.scalar(_offered().where(Article.id == reply_id))
    return Reply.of(article) if article is not None else None


def seed_defaults() -> int:
    """Add the default replies as published articles when no article carries a reply text
    yet (the demo calls this; the caller commits). Returns how many were added."""
    if db.session.scalar(sa.select(sa.func.count()).select_from(Article)
                         .where(Article.reply_text != "")):
        return 0
    now = clock.now()
    for title, text in DEFAULT_REPLIES:
        article = Article(question=title, answer=text, reply_text=text, state="published",
                          reviewed_at=now, published_at=now, created_at=now, updated_at=now,
                          revision=1)
        db.session.add(article)
        db.session.flush()
        db.session.add(ArticleVersion(article_id=article.id, number=1, question=title,
                                      answer=text, reply_text=text, state="published", at=now,
                                      note="canned reply"))
    db.session.flush()
    return len(DEFAULT_REPLIES)
