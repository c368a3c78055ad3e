"""Canned replies (快捷回复): short texts the supervisor keeps and an agent copies in one
click into the platform's chat, with the case's facts filled in where the text names them
(``{买家}``, ``{订单号}``, ``{快递单号}``, ``{退货单号}``; or ``{buyer}``, ``{order_no}``,
``{tracking_no}``, ``{return_tracking_no}``). What was sent is recorded on the case as a
reply to the customer (``cases.record_reply``), never as an internal note.
The defaults put the department's rules in a customer's words (R-A1 seven days without a
reason, R-A2 photos, R-A3 freight, R-A4 the card in the parcel and the return tracking
number, R-A6 calm first, then an exchange rather than a refund).

Services take the acting user, write the audit trail in the same transaction, and raise
``RuleError`` (nothing changed) or ``Conflict`` (someone else changed the reply first);
they flush, and the action runner commits.
"""

import re
from dataclasses import dataclass

import sqlalchemy as sa

from portal import audit
from portal.actions import Conflict
from portal.aftersales.models import CannedReply
from portal.auth.models import User
from portal.extensions import db
from portal.i18n import N_
from portal.rules import RuleError

TITLE_MAX = 60
TEXT_MAX = 1000
SHOWN_MAX = 60  # a case page lists at most this many replies
STEP = 10  # sort_order spacing

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
class Filled:
    """A reply ready to send: its text with the facts filled in, and the placeholders left
    as they were because the case does not know them (the agent completes those)."""

    reply: CannedReply
    text: str
    missing: tuple[str, ...]


def fill(reply: CannedReply, facts: dict[str, str | None]) -> Filled:
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
    """The active replies filled in for ``case``, in the supervisor's order."""
    facts = case_facts(case)
    return [fill(reply, facts) for reply in active()]


def active() -> list[CannedReply]:
    """The replies an agent may insert, in the supervisor's order (bounded)."""
    return list(db.session.scalars(
        sa.select(CannedReply).where(CannedReply.active.is_(True))
        .order_by(CannedReply.sort_order, CannedReply.id).limit(SHOWN_MAX)))


def active_ids() -> list[int]:
    """The active replies' ids in the order agents see them."""
    return list(db.session.scalars(
        sa.select(CannedReply.id).where(CannedReply.active.is_(True))
        .order_by(CannedReply.sort_order, CannedReply.id)))


def count() -> int:
    """How many replies there are, deactivated ones included."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(CannedReply))


def all_replies() -> list[CannedReply]:
    """Every reply, the active ones first, each group in the supervisor's order."""
    return list(db.session.scalars(
        sa.select(CannedReply)
        .order_by(CannedReply.active.desc(), CannedReply.sort_order, CannedReply.id)))


def _clean(title: str | None, text: str | None) -> tuple[str, str]:
    title, text = (title or "").strip(), (text or "").strip()
    if not title:
        raise RuleError(N_("Give the reply a short title."), "title")
    if len(title) > TITLE_MAX:
        raise RuleError(N_("Keep this under %(max)d characters."), "title", max=TITLE_MAX)
    if not text:
        raise RuleError(N_("Write the reply's text."), "text")
    if len(text) > TEXT_MAX:
        raise RuleError(N_("Keep this under %(max)d characters."), "text", max=TEXT_MAX)
    return title, text


def _expect(reply: CannedReply, version: int | None) -> None:
    if version is None or int(version) != reply.version:
        raise Conflict(reply)


def add(user: User, title: str, text: str) -> CannedReply:
    """A new reply, last in the order."""
    title, text = _clean(title, text)
    last = db.session.scalar(sa.select(sa.func.max(CannedReply.sort_order))) or 0
    reply = CannedReply(title=title, text=text, sort_order=last + STEP, active=True)
    db.session.add(reply)
    db.session.flush()
    audit.record("aftersales.reply_added", reply, actor=user,
                 changes={"title": [None, title], "text": [None, text[:200]]})
    return reply


def update(user: User, reply: CannedReply, version: int, title: str, text: str) -> CannedReply:
    """Change a reply's title or text."""
    _expect(reply, version)
    title, text = _clean(title, text)
    before = {"title": reply.title, "text": reply.text}
    reply.title, reply.text = title, text
    changes = audit.changes(reply, ("title", "text"), before)
    if not changes:
        raise RuleError(N_("Nothing was changed."))
    audit.record("aftersales.reply_changed", reply, actor=user, changes=changes)
    db.session.flush()  # a change made meanwhile fails here: the runner answers 409
    return reply


def move(user: User, reply: CannedReply, version: int, direction: str) -> CannedReply:
    """Move a reply one place up or down among the active ones (the order agents see);
    the order is renumbered so that it stays unambiguous."""
    _expect(reply, version)
    if direction not in ("up", "down"):
        raise RuleError(N_("Choose up or down."))
    if not reply.active:
        raise RuleError(N_("Reactivate the reply before moving it."))
    ordered = active_all()
    index = next(i for i, r in enumerate(ordered) if r.id == reply.id)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(ordered):
        raise RuleError(N_("The reply is already at the top.") if direction == "up"
                        else N_("The reply is already at the bottom."))
    ordered[index], ordered[other] = ordered[other], ordered[index]
    before = reply.sort_order
    for position, item in enumerate(ordered, start=1):
        if item.sort_order != position * STEP:
            item.sort_order = position * STEP
    audit.record("aftersales.reply_moved", reply, actor=user,
                 changes={"sort_order": [before, reply.sort_order]},
                 details={"direction": direction})
    db.session.flush()  # a change made meanwhile fails here: the runner answers 409
    return reply


def active_all() -> list[CannedReply]:
    """Every active reply in order (unbounded: the supervisor's reordering needs them all)."""
    return list(db.session.scalars(
        sa.select(CannedReply).where(CannedReply.active.is_(True))
        .order_by(CannedReply.sort_order, CannedReply.id)))


def set_active(user: User, reply: CannedReply, version: int, active: bool) -> CannedReply:
    """Deactivate a reply (agents no longer see it; it is kept) or bring it back last."""
    _expect(reply, version)
    if reply.active is active:
        raise Conflict(reply)  # someone else did it first: show the current state
    reply.active = active
    if active:
        last = db.session.scalar(sa.select(sa.func.max(CannedReply.sort_order))
                                 .where(CannedReply.active.is_(True))) or 0
        reply.sort_order = last + STEP
    audit.record("aftersales.reply_activated" if active else "aftersales.reply_deactivated",
                 reply, actor=user, changes={"active": [not active, active]})
    db.session.flush()  # a change made meanwhile fails here: the runner answers 409
    return reply


def seed_defaults() -> int:
    """Add the default replies when there are none yet (the demo or a migration calls this;
    the caller commits). Returns how many were added."""
    if db.session.scalar(sa.select(sa.func.count()).select_from(CannedReply)):
        return 0
    for position, (title, text) in enumerate(DEFAULT_REPLIES, start=1):
        db.session.add(CannedReply(title=title, text=text, sort_order=position * STEP))
    db.session.flush()
    return len(DEFAULT_REPLIES)
