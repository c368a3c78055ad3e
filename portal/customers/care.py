"""The monthly care list (R-C5, issue 17 item 6): members who have not bought or visited for
N days, only with marketing consent, to greet through the company's SMS platform.

Exporting the list marks each listed customer greeted for the month (one ``CareGreeting``
per customer per month); the next export of the same month lists only the not yet greeted
unless asked for all. The file is made from the export's greetings, so it can be fetched
again (and a customer who withdrew consent meanwhile drops out of it).
"""

from datetime import date, datetime, timedelta

import sqlalchemy as sa

from portal import audit, clock
from portal.customers.call_models import CareExport, CareGreeting
from portal.customers.models import Customer
from portal.exports import append, csv_bytes, workbook_bytes
from portal.extensions import db
from portal.paging import KeysetPage, keyset_page

EXPORT_MAX = 50_000  # customers in one export file


def this_month(today: date | None = None) -> str:
    return (today or clock.today()).strftime("%Y-%m")


def _quiet_since(today: date, days: int) -> datetime:
    return datetime.combine(today - timedelta(days=days), datetime.min.time(),
                            clock.get_clock().tz)


def _query(month: str, days: int, include_greeted: bool, today: date | None = None):
    """The members to greet: consent given, not merged nor anonymised, no order or visit
    since ``days`` days ago (or never), and (unless ``include_greeted``) not yet greeted
    in ``month``."""
    since = _quiet_since(today or clock.today(), days)
    query = sa.select(Customer).where(
        Customer.kind == "member", Customer.marketing_consent.is_(True),
        Customer.merged_into_id.is_(None), Customer.anonymised_at.is_(None),
        sa.or_(Customer.last_contact_at.is_(None), Customer.last_contact_at < since))
    if not include_greeted:
        query = query.where(~sa.exists().where(CareGreeting.customer_id == Customer.id,
                                               CareGreeting.month == month))
    return query


def page(month: str, days: int, include_greeted: bool, *, before: str | None = None,
         after: str | None = None, per_page: int = 50) -> KeysetPage:
    """A page of the care list (newest customers first, by id)."""
    return keyset_page(_query(month, days, include_greeted), (Customer.id,), before=before,
                       after=after, per_page=per_page)


def greeted_ids(month: str, customer_ids) -> set[int]:
    """Which of ``customer_ids`` were greeted in ``month`` (one query)."""
    ids = list(customer_ids)
    if not ids:
        return set()
    return set(db.session.scalars(sa.select(CareGreeting.customer_id).where(
        CareGreeting.month == month, CareGreeting.customer_id.in_(ids))))


def count(month: str, days: int, include_greeted: bool) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(
        _query(month, days, include_greeted).subquery()))


def export(user, month: str, days: int, include_greeted: bool) -> CareExport:
    """Mark the listed customers greeted in ``month`` (those already greeted keep their
    greeting); the export remembers what its file lists."""
    record = CareExport(month=month, days=days, include_greeted=include_greeted,
                        at=clock.now(), by_id=user.id)
    db.session.add(record)
    db.session.flush()
    ids = list(db.session.scalars(
        _query(month, days, include_greeted).with_only_columns(Customer.id)
        .order_by(Customer.id).limit(EXPORT_MAX)))
    fresh = [i for i in ids if i not in greeted_ids(month, ids)] if include_greeted else ids
    db.session.add_all(CareGreeting(customer_id=i, month=month, export_id=record.id,
                                    greeted_at=record.at) for i in fresh)
    record.count = len(fresh)
    audit.record("customers.care_exported", record, actor=user, details={
        "month": month, "days": days, "all": include_greeted, "greeted": len(fresh),
        "listed": len(ids)})
    db.session.flush()
    return record


def rows_of(record: CareExport) -> list[Customer]:
    """The customers an export's file lists: those it greeted, and with ``include_greeted``
    every customer greeted that month by it or before it; consent still given."""
    query = (sa.select(Customer).join(CareGreeting, CareGreeting.customer_id == Customer.id)
             .where(CareGreeting.month == record.month, Customer.marketing_consent.is_(True),
                    Customer.anonymised_at.is_(None)))
    if record.include_greeted:
        query = query.where(CareGreeting.export_id <= record.id)
    else:
        query = query.where(CareGreeting.export_id == record.id)
    return list(db.session.scalars(query.order_by(Customer.id).limit(EXPORT_MAX)))


def _phone(customer: Customer) -> str:
    phones = customer.phones
    mobile = next((p for p in phones if p.startswith("1") and len(p) == 11), None)
    return mobile or (phones[0] if phones else "")


def table(record: CareExport, header: list[str], class_label) -> list[list]:
    """Header and rows: name, phone, class, last contact (department date)."""
    rows: list[list] = [header]
    for customer in rows_of(record):
        last = clock.local(customer.last_contact_at)
        rows.append([customer.name, _phone(customer), class_label(customer.value_class),
                     last.date() if last else None])
    return rows


def xlsx(rows: list[list], title: str) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    for row in rows:
        append(sheet, row)
    for column, width in zip("ABCD", (18, 16, 14, 14), strict=True):
        sheet.column_dimensions[column].width = width
    return workbook_bytes(book)


def csv(rows: list[list]) -> bytes:
    return csv_bytes(rows)
