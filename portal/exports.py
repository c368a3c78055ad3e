"""The one cell writer for every spreadsheet and CSV the portal hands out.

Whatever staff typed goes into a cell as text: a value starting with ``= + - @``, a tab or a
carriage return is never a formula on the manager's PC (CSV/formula injection, OWASP), and
characters that XML cannot carry (``\\x01``…) are dropped, so one entry's bytes can never
make the month's export fail for everyone.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# what XML 1.0 cannot hold (openpyxl refuses it): C0 controls but tab, newline, CR
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

Plain = str | int | float | Decimal | date | datetime | None


def clean_text(value: str) -> str:
    """``value`` without the characters a spreadsheet's XML cannot carry."""
    return _ILLEGAL.sub("", value)


def append(ws, values: Iterable) -> int:
    """``ws.append(values)`` with every text written as text; the new row's number."""
    ws.append([clean_text(v) if isinstance(v, str) else v for v in values])
    row = ws.max_row  # the sheets are written by appending only
    for cell in ws[row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"  # openpyxl made "=…" a formula
            if cell.value.startswith(FORMULA_START):
                cell.quotePrefix = True  # and Excel keeps it text when the cell is edited
    return row


def workbook_bytes(book) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_text(value) -> str:
    """One CSV field: text that a spreadsheet would run is prefixed with an apostrophe."""
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = clean_text(str(value))
    if isinstance(value, str) and text.startswith(FORMULA_START):
        return "'" + text
    return text


def csv_bytes(rows: Iterable[Iterable]) -> bytes:
    """A CSV file (UTF-8 with BOM, so Excel reads the Chinese) of safe fields."""
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([csv_text(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
