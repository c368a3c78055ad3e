"""The catalogue of standard rewards and penalties the supervisor keeps (issue 5, item 1).

Points are stored positive; the kind gives the sign an entry takes (R-P1).
"""

import sqlalchemy as sa

from portal import audit
from portal.actions import Conflict
from portal.extensions import db
from portal.i18n import N_
from portal.scoring.models import ScoreRule
from portal.scoring.sheets import ScoringError, max_points

KINDS = {"reward": N_("Reward"), "penalty": N_("Penalty")}
FIELDS = ("kind", "default_points", "description", "names", "active")
LANGUAGES = ("zh_CN", "zh_TW", "en")  # the languages an item is named in

# The domain brief's examples of penalties and rewards, with points the supervisor can change.
SEED = (
    ("penalty", 10, "客户在交班时未回复"),
    ("penalty", 5, "工作时间做无关事情（看视频、玩游戏、听音乐）"),
    ("penalty", 5, "踢皮球（未为同事登记咨询）"),
    ("penalty", 10, "未在截单时间前发货"),
    ("penalty", 20, "漏备注导致错发"),
    ("penalty", 2, "工位不整洁"),
    ("penalty", 3, "离线未设置离开状态"),
    ("reward", 5, "客户表扬"),
    ("reward", 10, "达成销售目标"),
    ("reward", 10, "成功处理升级投诉"),
)


def signed(rule: ScoreRule) -> int:
    """The points an entry from ``rule`` carries: negative for a penalty."""
    return -rule.default_points if rule.kind == "penalty" else rule.default_points


def names_of(rule: ScoreRule) -> set[str]:
    """Every text under which ``rule`` is offered (its description, its name in each
    language)."""
    return {rule.description} | {text for text in (rule.names or {}).values() if text}


def clean_names(names: dict | None) -> dict | None:
    """{language: name} of the languages given a name (None: none)."""
    kept = {}
    for language in LANGUAGES:
        text = ((names or {}).get(language) or "").strip()
        if len(text) > 200:
            raise ScoringError(N_("Keep this under 200 characters."), field=f"name_{language}")
        if text:
            kept[language] = text
    return kept or None


def as_catalogue(rule: ScoreRule | None, typed: str | None, points: int | None, *,
                 recorded: str | None = None) -> tuple[ScoreRule | None, str]:
    """(the catalogue item an entry is, its reason). A reason left empty, or the item's own
    text, is the item; any other reason is a free one and never carries the item's id (issue
    15, item 3). ``recorded``: a correction's reason as it was recorded (the item's text of
    the day). A catalogue item keeps its sign."""
    typed = (typed or "").strip()
    if rule is None:
        return None, typed
    if not typed or typed == recorded:
        reason = recorded or rule.description
    elif typed in names_of(rule):
        reason = rule.description
    else:
        return None, typed
    if points and (points > 0) != (rule.kind == "reward"):
        raise ScoringError(N_("A catalogue item keeps its sign: a reward adds points, a "
                              "penalty takes them off."), field="points")
    return rule, reason


def all_rules() -> list[ScoreRule]:
    """Every rule, active first, penalties then rewards, in the supervisor's order."""
    return list(db.session.scalars(sa.select(ScoreRule).order_by(
        ScoreRule.active.desc(), ScoreRule.kind, ScoreRule.sort_order, ScoreRule.id)))


def active_rules() -> list[ScoreRule]:
    """The rules offered when recording an entry."""
    return list(db.session.scalars(sa.select(ScoreRule).where(ScoreRule.active.is_(True))
                                   .order_by(ScoreRule.kind, ScoreRule.sort_order, ScoreRule.id)))


def _check(kind: str, points: int | None, description: str | None) -> str:
    if kind not in KINDS:
        raise ScoringError(N_("Choose reward or penalty."), field="kind")
    if points is None or not 1 <= points <= max_points():
        raise ScoringError(N_("The points must be a whole number from 1 to %(max)d."),
                           field="default_points", max=max_points())
    description = (description or "").strip()
    if not description:
        raise ScoringError(N_("Describe the item."), field="description")
    return description


def create_rule(actor, *, kind: str, default_points: int | None, description: str | None,
                active: bool = True, names: dict | None = None) -> ScoreRule:
    """Add an item to the catalogue."""
    description = _check(kind, default_points, description)
    order = db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(ScoreRule.sort_order), 0)))
    rule = ScoreRule(kind=kind, default_points=default_points, description=description,
                     names=clean_names(names), active=active, sort_order=order + 1)
    db.session.add(rule)
    db.session.flush()
    audit.record("scoring.rule_created", rule, actor=actor,
                 changes={name: [None, getattr(rule, name)] for name in FIELDS})
    return rule


def update_rule(actor, rule: ScoreRule, version: int | None, *, kind: str,
                default_points: int | None, description: str | None, active: bool,
                names: dict | None = None) -> ScoreRule:
    """Change an item (entries already recorded keep their own points and reason)."""
    if version is not None and version != rule.version:
        raise Conflict(rule)
    description = _check(kind, default_points, description)
    before = {name: getattr(rule, name) for name in FIELDS}
    rule.kind, rule.default_points = kind, default_points
    rule.description, rule.active = description, active
    if names is not None:  # (the form always sends them; a service caller may not)
        rule.names = clean_names(names)  # a new dict: the JSON column sees the change
    changed = audit.changes(rule, FIELDS, before)
    if changed:
        db.session.flush()  # a concurrent change fails here: the runner answers 409
        audit.record("scoring.rule_changed", rule, actor=actor, changes=changed)
    return rule


def seed_catalogue() -> list[ScoreRule]:
    """The domain brief's examples, once (an existing catalogue is left alone)."""
    if db.session.scalar(sa.select(sa.func.count()).select_from(ScoreRule)):
        return []
    rules = [ScoreRule(kind=kind, default_points=points, description=text, sort_order=n)
             for n, (kind, points, text) in enumerate(SEED, start=1)]
    db.session.add_all(rules)
    db.session.flush()
    return rules
