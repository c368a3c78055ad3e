"""Entries of a score sheet: adding, changing and removing them, each with its evidence
(R-P1), only while the sheet is editable (R-P3), with the earlier value kept.

Every change checks that the sheet is editable and then runs ``apply_totals``: the sheet row
is updated with its version, so an approval racing an added entry cannot both win. A sheet
that was submitted or approved since the page was shown is a ``Conflict`` (409: the sheet as
it is now), as is a stale version; the services flush and never commit.

Evidence links: ``portal.ui.link_sources()`` maps a link type to how the records of a
person in a month are offered and checked; each area registers its own
(``portal.ui.register_link_source(app, "visit", ...)``).
"""

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa

from portal import audit, clock
from portal.actions import Conflict
from portal.audit.services import _plain
from portal.extensions import db
from portal.i18n import N_
from portal.scoring.catalogue import as_catalogue, signed
from portal.scoring.models import ScoreEntry, ScoreEntryRevision, ScoreRule, ScoreSheet
from portal.scoring.sheets import (
    ScoringError,
    apply_totals,
    in_month,
    max_points,
)
from portal.ui import link_sources

FIELDS = ("day", "points", "reason", "evidence", "link_type", "link_id", "rule_id")


def month_bounds(year: int, month: int) -> tuple[date, date]:
    """First and last day of a month."""
    first = date(year, month, 1)
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return first, last


# --- evidence links --------------------------------------------------------------------------


CANDIDATES = 40  # records of each type offered in the entry form



def link_choices(sheet: ScoreSheet) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """[(type, label, [("type:id", text), ...])] of the sheet's person in the sheet's month:
    every type's newest records in one query (a UNION ALL of the sources' queries)."""
    first, last = month_bounds(sheet.year, sheet.month)
    kinds = list(link_sources())
    if not kinds:
        return []
    parts = []
    for position, kind in enumerate(kinds):
        each = link_sources()[kind].query(sheet.user_id, first, last, CANDIDATES).subquery()
        parts.append(sa.select(sa.literal(position).label("source"), *each.c))
    rows = db.session.execute(sa.union_all(*parts).order_by(
        sa.literal_column("source"), sa.literal_column("ref_day").desc(),
        sa.literal_column("ref_at").desc(), sa.literal_column("ref_id").desc()))
    found: dict[int, list[tuple[str, str]]] = {}
    for row in rows:
        kind = kinds[row.source]
        found.setdefault(row.source, []).append(
            (f"{kind}:{row.ref_id}", link_sources()[kind].describe(row)))
    return [(kinds[n], link_sources()[kinds[n]].label, options)
            for n, options in sorted(found.items())]


def parse_link(value: str | None) -> tuple[str | None, int | None]:
    """"handover_item:12" -> ("handover_item", 12); "" -> (None, None)."""
    if not value:
        return None, None
    kind, _sep, ident = value.partition(":")
    if kind not in link_sources() or not ident.isdigit():
        raise ScoringError(N_("Pick the record from the list."), field="link")
    return kind, int(ident)


def _check_link(sheet: ScoreSheet, kind: str | None, ident: int | None) -> None:
    if kind is None:
        return
    first, last = month_bounds(sheet.year, sheet.month)
    records = link_sources()[kind].query(sheet.user_id, first, last, 10_000).subquery()
    if db.session.scalar(sa.select(records.c.ref_id).where(records.c.ref_id == ident)) is None:
        raise ScoringError(N_("That record is not one of this person's records of the month."),
                           field="link")


def link_url(kind: str, ident: int) -> str | None:
    """Where a linked record opens (None: the type has no page)."""
    source = link_sources().get(kind)
    return source.url(ident) if source and source.url else None


# --- entries ---------------------------------------------------------------------------------


def _check_sheet(sheet: ScoreSheet, version: int | None) -> None:
    """The sheet the person saw is still the sheet and still editable (R-P3): else someone
    acted first (a 409 that shows it as it is now)."""
    if not sheet.editable or (version is not None and version != sheet.version):
        raise Conflict(sheet)


def _rule(rule_id: int | None) -> ScoreRule | None:
    """The active catalogue item chosen for a new entry."""
    if not rule_id:
        return None
    rule = db.session.get(ScoreRule, rule_id)
    if rule is None or not rule.active:
        raise ScoringError(N_("Choose an item of the catalogue, or write a reason."),
                           field="rule")
    return rule


def _validate(sheet: ScoreSheet, day: date | None, points: int | None, reason: str | None,
              rule: ScoreRule | None, recorded: str | None = None
              ) -> tuple[ScoreRule | None, str, int]:
    """(the catalogue item the entry is, or None; its reason; its points)."""
    rule, reason = as_catalogue(rule, reason, points, recorded=recorded)
    if not reason:
        raise ScoringError(N_("Choose an item of the catalogue, or write a reason."),
                           field="reason")
    if points is None and rule is not None:
        points = signed(rule)
    if day is None or not in_month(sheet, day):
        raise ScoringError(N_("The date must be in %(year)d-%(month)02d."), field="day",
                           year=sheet.year, month=sheet.month)
    if points is None or points == 0:
        raise ScoringError(N_("Give the points: a positive number for a reward, a negative one "
                              "for a penalty; 0 is not an entry."), field="points")
    if abs(points) > max_points():
        raise ScoringError(N_("An entry can give or take at most %(max)d points."),
                           field="points", max=max_points())
    return rule, reason, points


def _evidence(evidence: str | None, link_type: str | None) -> str | None:
    """R-P1: every entry has its evidence: a note, or the linked record it comes from."""
    evidence = (evidence or "").strip() or None
    if evidence is None and link_type is None:
        raise ScoringError(N_("Write the evidence, or link the record it comes from."),
                           field="evidence")
    return evidence


def add_entry(actor, sheet: ScoreSheet, *, day: date | None, points: int | None,
              reason: str | None = None, rule_id: int | None = None,
              evidence: str | None = None, link: str | None = None,
              sheet_version: int | None = None) -> ScoreEntry:
    """R-P1: record a reward or penalty on an editable sheet."""
    _check_sheet(sheet, sheet_version)
    rule, reason, points = _validate(sheet, day, points, reason, _rule(rule_id))
    link_type, link_id = parse_link(link)
    _check_link(sheet, link_type, link_id)
    evidence = _evidence(evidence, link_type)
    entry = ScoreEntry(sheet_id=sheet.id, day=day, rule=rule,
                       reason=reason, points=points, evidence=evidence,
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
    if not sheet.editable or (version is not None and version != entry.version):
        raise Conflict(entry)
    if entry.removed_at is not None:
        raise ScoringError(N_("This entry was removed."))
    return sheet


def edit_entry(actor, entry: ScoreEntry, version: int | None, *, day: date | None,
               points: int | None, reason: str | None, evidence: str | None) -> ScoreEntry:
    """Correct an entry of an editable sheet; the earlier value is kept as a revision."""
    sheet = _live(entry, version)
    rule, reason, points = _validate(sheet, day, points, reason, entry.rule,
                                     recorded=entry.reason)
    before = {name: getattr(entry, name) for name in FIELDS}
    evidence = _evidence(evidence, entry.link_type)
    rule_id = rule.id if rule else None
    if (day, points, reason, evidence, rule_id) == (entry.day, entry.points, entry.reason,
                                                    entry.evidence, entry.rule_id):
        return entry
    _revise(actor, entry, "changed")
    entry.day, entry.points, entry.reason, entry.evidence = day, points, reason, evidence
    entry.rule = rule  # a reason rewritten freely is no longer the catalogue item
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
    """The sheet's entries, removed ones included, in date order, each with its appeals
    (``entry.appeals``, newest first): one query."""
    from sqlalchemy.orm import joinedload, lazyload

    from portal.scoring.models import Appeal

    return list(db.session.scalars(
        sa.select(ScoreEntry).where(ScoreEntry.sheet_id == sheet.id)
        .options(joinedload(ScoreEntry.appeals).options(lazyload(Appeal.entry),
                                                        joinedload(Appeal.answered_by)))
        .order_by(ScoreEntry.day, ScoreEntry.id)).unique())


def appeals_by_entry(entries) -> dict[int, list]:
    """{entry id: [Appeal]} of entries loaded by ``sheet_entries`` (no query)."""
    return {entry.id: list(entry.appeals) for entry in entries if entry.appeals}


def sheet_revisions(sheet: ScoreSheet) -> list[tuple[ScoreEntryRevision, ScoreEntry]]:
    """The earlier values of the sheet's entries with their entries, oldest first (one
    query): the sheet's record shows them, and the rows count them."""
    return list(db.session.execute(
        sa.select(ScoreEntryRevision, ScoreEntry)
        .join(ScoreEntry, ScoreEntry.id == ScoreEntryRevision.entry_id)
        .where(ScoreEntry.sheet_id == sheet.id)
        .order_by(ScoreEntryRevision.at, ScoreEntryRevision.id)).all())


def revision_counts(revisions) -> dict[int, int]:
    """{entry id: number of earlier values kept} from ``sheet_revisions`` (no query)."""
    counts: dict[int, int] = {}
    for revision, _entry in revisions:
        counts[revision.entry_id] = counts.get(revision.entry_id, 0) + 1
    return counts


def correction_counts(entry_ids) -> dict[int, int]:
    """{entry id: number of earlier values kept} of a few entries (one query)."""
    ids = list(entry_ids)
    if not ids:
        return {}
    return dict(db.session.execute(
        sa.select(ScoreEntryRevision.entry_id, sa.func.count())
        .where(ScoreEntryRevision.entry_id.in_(ids)).group_by(ScoreEntryRevision.entry_id)).all())


@dataclass(frozen=True)
class RowPlace:
    """What an entry's row needs after a change, read in one query: the sheet's rank in its
    month, the entry before it in date order (None: it comes first), its corrections."""

    rank: int
    sheet_count: int
    previous_id: int | None
    corrections: int


def row_place(sheet: ScoreSheet, entry: ScoreEntry) -> RowPlace:
    """The rank, the row's place and the entry's corrections as they are in this
    transaction (after the change was flushed)."""
    from portal.scoring.sheets import rank_columns

    above, count = rank_columns(sheet)
    previous = (sa.select(ScoreEntry.id)
                .where(ScoreEntry.sheet_id == sheet.id, ScoreEntry.id != entry.id,
                       sa.or_(ScoreEntry.day < entry.day,
                              sa.and_(ScoreEntry.day == entry.day, ScoreEntry.id < entry.id)))
                .order_by(ScoreEntry.day.desc(), ScoreEntry.id.desc()).limit(1)
                .scalar_subquery())
    corrections = (sa.select(sa.func.count()).select_from(ScoreEntryRevision)
                   .where(ScoreEntryRevision.entry_id == entry.id).scalar_subquery())
    above_n, count_n, previous_id, corrections_n = db.session.execute(
        sa.select(above, count, previous, corrections)).one()
    return RowPlace(above_n + 1, count_n, previous_id, corrections_n)
