"""Demo data of the score sheets: the catalogue; last month's sheets approved; this month's
in draft with about a dozen entries, one sheet returned by the manager with a comment, and
one open appeal. Workflow states are set directly (the workflow services are not needed)."""

from datetime import date, timedelta

import sqlalchemy as sa

from portal import clock
from portal.extensions import db
from portal.scoring.catalogue import seed_catalogue, signed
from portal.scoring.models import Appeal, ScoreEntry, ScoreRule, SheetEvent
from portal.scoring.overview import ensure_month_sheets
from portal.scoring.sheets import apply_totals, month_sheets

# (username, rule description, day of month, evidence) of this month
THIS_MONTH = [
    ("presales", "客户表扬", 2, "客户在评价中点名表扬耐心解答"),
    ("presales", "离线未设置离开状态", 3, "14:10 离线 25 分钟,状态仍为在线"),
    ("presales2", "达成销售目标", 4, "上周成交额达到目标 120%"),
    ("presales2", "客户在交班时未回复", 5, "交班时两位客户的咨询未回复"),
    ("presales3", "踢皮球（未为同事登记咨询）", 5, "客户投诉被转了三次"),
    ("aftersales", "成功处理升级投诉", 3, "内胆划痕投诉,客户同意换货并撤回差评"),
    ("aftersales2", "工位不整洁", 6, "周会检查"),
    ("clerk", "未在截单时间前发货", 4, "3 单 16:45 才交仓库"),
    ("clerk2", "漏备注导致错发", 6, "地址修改未备注,包裹寄往旧地址"),
    ("reception", "客户表扬", 2, "访客留言表扬接待热情"),
    ("reception2", "工作时间做无关事情（看视频、玩游戏、听音乐）", 7, "上午 10:20 在前台看视频"),
    ("clerk3", "达成销售目标", 7, "本周打单量达到目标"),
]
# every entry has its evidence (R-P1)
LAST_MONTH = [
    ("presales", "客户表扬", 8, "客户来电表扬"), ("presales2", "工位不整洁", 12, "周会检查"),
    ("aftersales", "成功处理升级投诉", 15, "投诉已撤回"),
    ("clerk", "未在截单时间前发货", 20, "2 单 16:50 才交仓库"),
    ("reception", "客户表扬", 22, "访客留言表扬"),
    ("presales3", "达成销售目标", 28, "月度成交额达标"),
]


def _month_before(day: date) -> tuple[int, int]:
    first = day.replace(day=1) - timedelta(days=1)
    return first.year, first.month


def _add(users, sheets, rules, rows, year, month, last_day, recorder):
    made = []
    for username, text, day, evidence in rows:
        user = users.get(username)
        if user is None or not user.active or user.id not in sheets:
            continue
        rule = rules[text]
        entry = ScoreEntry(sheet_id=sheets[user.id].id, day=date(year, month, min(day, last_day)),
                           rule_id=rule.id, reason=rule.description, points=signed(rule),
                           evidence=evidence, recorded_by_id=recorder.id,
                           recorded_at=clock.now() - timedelta(days=max(0, last_day - day)))
        db.session.add(entry)
        made.append(entry)
    db.session.flush()
    for sheet in sheets.values():
        apply_totals(sheet)
    db.session.flush()
    return made


def seed(users: dict) -> dict:
    """Create the scoring demo (see the module docstring)."""
    supervisor, manager = users["supervisor"], users["manager"]
    seed_catalogue()
    rules = {r.description: r for r in db.session.scalars(sa.select(ScoreRule))}
    today = clock.today()
    now = clock.now()

    # last month: every sheet submitted by the supervisor and approved by the manager (R-P2)
    year, month = _month_before(today)
    ensure_month_sheets(year, month)
    last = {s.user_id: s for s in month_sheets(year, month)}
    last_entries = _add(users, last, rules, LAST_MONTH, year, month, 28, supervisor)
    for sheet in last.values():
        sheet.status = "approved"
        sheet.submitted_at, sheet.submitted_by_id = now - timedelta(days=today.day + 2), \
            supervisor.id
        sheet.decided_at, sheet.decided_by_id = now - timedelta(days=today.day + 1), manager.id
        db.session.add_all([
            SheetEvent(sheet_id=sheet.id, action="submitted", by_id=supervisor.id,
                       at=sheet.submitted_at),
            SheetEvent(sheet_id=sheet.id, action="approved", by_id=manager.id,
                       at=sheet.decided_at)])

    # this month: drafts with a dozen entries, one returned sheet, one open appeal
    ensure_month_sheets(today.year, today.month)
    current = {s.user_id: s for s in month_sheets(today.year, today.month)}
    entries = _add(users, current, rules, THIS_MONTH, today.year, today.month, today.day,
                   supervisor)
    returned = current[users["aftersales"].id]
    returned.status = "returned"
    returned.submitted_at, returned.submitted_by_id = now - timedelta(hours=5), supervisor.id
    returned.decided_at, returned.decided_by_id = now - timedelta(hours=2), manager.id
    returned.return_comment = "投诉处理的加分请附上客户撤回差评的截图后再提交。"
    db.session.add_all([
        SheetEvent(sheet_id=returned.id, action="submitted", by_id=supervisor.id,
                   at=returned.submitted_at),
        SheetEvent(sheet_id=returned.id, action="returned", comment=returned.return_comment,
                   by_id=manager.id, at=returned.decided_at)])
    disputed = next(e for e in entries if e.sheet_id == current[users["presales"].id].id
                    and e.points < 0)
    db.session.add(Appeal(entry_id=disputed.id, sheet_id=disputed.sheet_id,
                          user_id=users["presales"].id, status="open", created_at=now,
                          comment="当时在处理一位客户的电话,忘记切换状态,不是离岗。"))
    db.session.flush()
    return {"score_sheets": len(last) + len(current),
            "score_entries": len(last_entries) + len(entries)}
