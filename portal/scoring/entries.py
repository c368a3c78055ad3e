"""Entries of a score sheet: adding, changing and removing them, each with its evidence
(R-P1), only while the sheet is editable (R-P3), with the earlier value kept.

Every change runs ``require_editable`` and then ``apply_totals``: the sheet row is updated
with its version, so an approval racing an added entry cannot both win.

Evidence links: ``LINK_SOURCES`` maps a link type to how the records of a person in a month
are offered and checked. Orders and after-sales cases are added here when those areas exist
(``register_link_source("order", ...)``).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from portal import audit, clock
from portal.audit.services import _plain
from portal.extensions import db
from portal.i18n import N_
from portal.scoring.catalogue import signed
from portal.scoring.models import ScoreEntry, ScoreEntryRevision, ScoreRule, ScoreSheet
from portal.scoring.sheets import (
    ScoringError,
    apply_totals,
    in_month,
    max_points,
    require_editable,
)
from portal.web import Conflict

FIELDS = ("day", "points", "reason", "evidence", "link_type", "link_id", "rule_id")


def month_bounds(year: int, month: int) -> tuple[date, date]:
    """First and last day of a month."""
    first = date(year, month, 1)
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return first, last


# --- evidence links --------------------------------------------------------------------------


@dataclass(frozen=True)
class LinkSource:
    """Records of one type a person's entry may point to."""

    label: str  # N_()
    # (user_id, first, last) -> [(id, text)] newest first, at most ``limit``
    candidates: Callable[[int, date, date], list[tuple[int, str]]]
    # [ids] -> {id: url} to open the records (None: shown as text only)
    urls: Callable[[list[int]], dict[int, str]] | None = None


LINK_SOURCES: dict[str, LinkSource] = {}


def register_link_source(kind: str, source: LinkSource) -> None:
    """Let entries point to records of another area (orders, after-sales cases...)."""
    LINK_SOURCES[kind] = source


def _handover_candidates(user_id: int, first: date, last: date, limit: int = 40):
    from portal.handover.models import HandoverItem
    from portal.handover.services import BOOKS

    # two index ranges instead of an OR (which reads every item the person ever wrote):
    # written, through (book, author_id, shift_date, id); followed up, through owner_id
    columns = (HandoverItem.id, HandoverItem.shift_date, HandoverItem.text)
    written = sa.select(*columns).where(HandoverItem.book.in_(BOOKS),
                                        HandoverItem.author_id == user_id,
                                        HandoverItem.shift_date.between(first, last))
    followed = sa.select(*columns).where(HandoverItem.owner_id == user_id,
                                         HandoverItem.shift_date.between(first, last))
    both = sa.union(written, followed).subquery()
    rows = db.session.execute(
        sa.select(both).order_by(both.c.shift_date.desc(), both.c.id.desc()).limit(limit))
    return [(ident, f"{day:%Y-%m-%d} #{ident} {text[:40]}") for ident, day, text in rows]


def _handover_urls(ids: list[int]) -> dict[int, str]:
    from flask import url_for

    from portal.handover.models import HandoverItem

    rows = db.session.execute(sa.select(HandoverItem.id, HandoverItem.book)
                              .where(HandoverItem.id.in_(ids)))
    return {ident: url_for(f"handover.{book}_item", item_id=ident) for ident, book in rows}


def _visit_candidates(user_id: int, first: date, last: date, limit: int = 40):
    from portal.reception.models import Visit

    rows = db.session.execute(
        sa.select(Visit.id, Visit.day, Visit.arrived_at, Visit.party_size, Visit.visitor_name)
        .where(Visit.consultant_id == user_id, Visit.day.between(first, last))
        .order_by(Visit.arrived_at.desc()).limit(limit))
    return [(ident, f"{day:%Y-%m-%d} {clock.local(at):%H:%M} #{ident} "
                    f"{_('%(count)d people', count=size)}")
            for ident, day, at, size, _name in rows]


register_link_source("handover_item", LinkSource(N_("Handover item"), _handover_candidates,
                                                 _handover_urls))
register_link_source("visit", LinkSource(N_("Showroom visit"), _visit_candidates))
# orders and after-sales cases: register_link_source("order", ...) once those areas exist


def link_choices(sheet: ScoreSheet) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """[(type, label, [("type:id", text), ...])] of the sheet's person in the sheet's month."""
    first, last = month_bounds(sheet.year, sheet.month)
    groups = []
    for kind, source in LINK_SOURCES.items():
        options = [(f"{kind}:{ident}", text)
                   for ident, text in source.candidates(sheet.user_id, first, last)]
        if options:
            groups.append((kind, source.label, options))
    return groups


def parse_link(value: str | None) -> tuple[str | None, int | None]:
    """"handover_item:12" -> ("handover_item", 12); "" -> (None, None)."""
    if not value:
        return None, None
    kind, _sep, ident = value.partition(":")
    if kind not in LINK_SOURCES or not ident.isdigit():
        raise ScoringError(_("Pick the record from the list."), field="link")
    return kind, int(ident)


def _check_link(sheet: ScoreSheet, kind: str | None, ident: int | None) -> None:
    if kind is None:
        return
    first, last = month_bounds(sheet.year, sheet.month)
    if ident not in {i for i, _t in LINK_SOURCES[kind].candidates(sheet.user_id, first, last,
                                                                   limit=10_000)}:
        raise ScoringError(_("That record is not one of this person's records of the month."),
                           field="link")


# --- entries ---------------------------------------------------------------------------------


def _check_sheet_version(sheet: ScoreSheet, version: int | None) -> None:
    """The sheet the person saw is still the sheet: else someone acted first (a 409)."""
    if version is not None and version != sheet.version:
        raise Conflict(sheet)


def _validate(sheet: ScoreSheet, day: date | None, points: int | None, reason: str | None,
              rule_id: int | None) -> tuple[ScoreRule | None, str, int]:
    rule = None
    if rule_id:
        rule = db.session.get(ScoreRule, rule_id)
        if rule is None or not rule.active:
            raise ScoringError(_("Choose an item of the catalogue, or write a reason."),
                               field="rule")
    reason = (reason or "").strip() or (rule.description if rule else "")
    if not reason:
        raise ScoringError(_("Choose an item of the catalogue, or write a reason."),
                           field="reason")
    if points is None and rule is not None:
        points = signed(rule)
    if day is None or not in_month(sheet, day):
        raise ScoringError(_("The date must be in %(year)d-%(month)02d.", year=sheet.year,
                             month=sheet.month), field="day")
    if points is None or points == 0:
        raise ScoringError(_("Give the points: a positive number for a reward, a negative one "
                             "for a penalty; 0 is not an entry."), field="points")
    if abs(points) > max_points():
        raise ScoringError(_("An entry can give or take at most %(max)d points.",
                             max=max_points()), field="points")
    return rule, reason, points


def add_entry(actor, sheet: ScoreSheet, *, day: date | None, points: int | None,
              reason: str | None = None, rule_id: int | None = None,
              evidence: str | None = None, link: str | None = None,
              sheet_version: int | None = None) -> ScoreEntry:
    """R-P1: record a reward or penalty on an editable sheet."""
    require_editable(sheet)
    _check_sheet_version(sheet, sheet_version)
    rule, reason, points = _validate(sheet, day, points, reason, rule_id)
    link_type, link_id = parse_link(link)
    _check_link(sheet, link_type, link_id)
    entry = ScoreEntry(sheet_id=sheet.id, day=day, rule_id=rule.id if rule else None,
                       reason=reason, points=points, evidence=(evidence or "").strip() or None,
                       link_type=link_type, link_id=link_id, recorded_by_id=actor.id,
                       recorded_at=clock.now())
    db.session.add(entry)
    db.session.flush()
    apply_totals(sheet)
    db.session.flush()
    audit.record("scoring.entry_added", entry, actor=actor,
                 changes={name: [None, _plain(getattr(entry, name))]
                          for name in FIELDS if getattr(entry, name) is not None},
                 details={"sheet": sheet.id, "total": sheet.total})
    return entry


def _revise(actor, entry: ScoreEntry, action: str) -> None:
    db.session.add(ScoreEntryRevision(
        entry_id=entry.id, action=action, day_before=entry.day, points_before=entry.points,
        reason_before=entry.reason, evidence_before=entry.evidence, by_id=actor.id,
        at=clock.now()))


def _live(entry: ScoreEntry, version: int | None) -> ScoreSheet:
    sheet = entry.sheet
    require_editable(sheet)
    if entry.removed_at is not None:
        raise ScoringError(_("This entry was removed."))
    if version is not None and version != entry.version:
        raise Conflict(entry)
    return sheet


def edit_entry(actor, entry: ScoreEntry, version: int | None, *, day: date | None,
               points: int | None, reason: str | None, evidence: str | None) -> ScoreEntry:
    """Correct an entry of an editable sheet; the earlier value is kept as a revision."""
    sheet = _live(entry, version)
    _rule, reason, points = _validate(sheet, day, points, reason, None)
    before = {name: getattr(entry, name) for name in FIELDS}
    evidence = (evidence or "").strip() or None
    if (day, points, reason, evidence) == (entry.day, entry.points, entry.reason,
                                           entry.evidence):
        return entry
    _revise(actor, entry, "changed")
    entry.day, entry.points, entry.reason, entry.evidence = day, points, reason, evidence
    db.session.flush()
    apply_totals(sheet)
    db.session.flush()
    audit.record("scoring.entry_changed", entry, actor=actor,
                 changes=audit.changes(entry, FIELDS, before),
                 details={"sheet": sheet.id, "total": sheet.total})
    return entry


def remove_entry(actor, entry: ScoreEntry, version: int | None) -> ScoreEntry:
    """Remove an entry of an editable sheet: it stays, struck through, with its revision."""
    sheet = _live(entry, version)
    _revise(actor, entry, "removed")
    entry.removed_at = clock.now()
    db.session.flush()
    apply_totals(sheet)
    db.session.flush()
    audit.record("scoring.entry_removed", entry, actor=actor,
                 changes={"removed_at": [None, _plain(entry.removed_at)]},
                 details={"sheet": sheet.id, "points": entry.points, "total": sheet.total})
    return entry


def sheet_entries(sheet: ScoreSheet) -> list[ScoreEntry]:
    """The sheet's entries, removed ones included, in date order (one query)."""
    return list(db.session.scalars(sa.select(ScoreEntry).where(ScoreEntry.sheet_id == sheet.id)
                                   .order_by(ScoreEntry.day, ScoreEntry.id)))


def revision_counts(entry_ids) -> dict[int, int]:
    """{entry id: number of earlier values kept}."""
    ids = list(entry_ids)
    if not ids:
        return {}
    return dict(db.session.execute(
        sa.select(ScoreEntryRevision.entry_id, sa.func.count())
        .where(ScoreEntryRevision.entry_id.in_(ids)).group_by(ScoreEntryRevision.entry_id)).all())


def link_urls(entries) -> dict[tuple[str, int], str]:
    """{(type, id): url} of the entries' linked records, one query per type."""
    wanted: dict[str, list[int]] = {}
    for entry in entries:
        if entry.link_type in LINK_SOURCES and entry.link_id:
            wanted.setdefault(entry.link_type, []).append(entry.link_id)
    result = {}
    for kind, ids in wanted.items():
        source = LINK_SOURCES[kind]
        if source.urls:
            result.update({(kind, i): url for i, url in source.urls(ids).items()})
    return result
