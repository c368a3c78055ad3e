"""Importing a platform's order export (issue 6 item 2): the file is read by its content
(CSV in UTF-8, UTF-8 with BOM, GBK/GB18030 or UTF-16, or an .xlsx workbook), its columns
are mapped by their headers (Chinese platform exports and English), rows with the same
order number are grouped into one order, and each order gets a verdict — create,
duplicate or error — with the reasons and row numbers. Nothing is created until someone
confirms; then the good orders are inserted in bulk, duplicates checked again.

The platforms' own export files (issue 19 item 5) are recognised by their headers
(``import_presets``: Taobao/Tmall, JD, Pinduoduo, Douyin, a distributor's order sheet),
which also give the platform, the status words and an address in parts. An order already
here whose platform status changed (paid → refunding, closed) is a status change: at
confirmation the order is updated and the order clerks are told (``apply_status``); the
status is kept on the order, so re-importing a file changes nothing. Distributor orders are
created one by one through ``orders.create``, the function a hand-typed order uses.

A bad row marks only its own order as wrong; it never blocks or changes the good ones.
Reasons are stored untranslated (message and parameters): each reader sees their language.
"""

import csv
import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer

from portal import audit, clock, phones
from portal.actions import Conflict
from portal.auth.models import User
from portal.extensions import db
from portal.i18n import N_
from portal.orders import import_presets as presets
from portal.orders.import_presets import Preset
from portal.orders.models import Order, OrderImport, OrderLine, OrderRemark, StockItem, phone_tail
from portal.orders.orders import GONE, PLATFORMS, first_stage
from portal.rules import RuleError
from portal.uploads import clean_name

MAX_BYTES = 10 * 1024 * 1024        # the largest upload
MAX_MB = MAX_BYTES // (1024 * 1024)
MAX_ROWS = 20_000                   # data rows in one file
MAX_UNPACKED = 200 * 1024 * 1024    # an .xlsx is a zip: refuse one that unpacks to more
MAX_COLUMNS = 80
HEADER_SEARCH = 10                  # the header may follow a few title lines
SHOWN = 200                         # entries of each kind shown on the preview page
RECENT = 20                         # imports listed on the import page
CHUNK = 500                         # order numbers / SKUs per IN (...) query
INSERT_CHUNK = 1000                 # rows per bulk INSERT
MAX_QUANTITY = 99_999
MAX_MONEY = Decimal("9999999999.99")  # what Numeric(12, 2) holds
CENT = Decimal("0.01")

# field: (header names it goes by, required header?)
FIELDS: dict[str, tuple[tuple[str, ...], bool]] = {
    "order_no": (("订单编号", "订单号", "order_no", "Order No", "order number"), True),
    "buyer_id": (("买家会员名", "买家账号", "buyer_id", "buyer"), False),
    "receiver_name": (("收货人姓名", "收货人", "receiver_name", "receiver"), True),
    "receiver_phone": (("联系手机", "手机", "收货人手机", "phone", "mobile"), True),
    "receiver_address": (("收货地址", "详细地址", "address", "receiver_address"), True),
    "sku": (("商家编码", "商品编码", "SKU"), True),
    "item_name": (("宝贝标题", "商品名称", "item_name", "item"), False),
    "attributes": (("销售属性", "颜色尺码", "attributes"), False),
    "quantity": (("购买数量", "数量", "quantity", "qty"), True),
    "unit_price": (("单价", "价格", "unit_price", "price"), True),
    "amount": (("实付金额", "订单金额", "amount"), False),
    "paid_at": (("订单付款时间", "付款时间", "paid_at", "paid at"), False),
    "status": (("订单状态", "status"), False),
    "after_sale": (("售后状态", "after_sale"), False),
    "line_total": (("商品总价", "小计", "line_total"), False),
    "remark": (("商家备注", "备注", "remark"), False),
}
FIELD_LABELS = {
    "order_no": N_("Order number"),
    "buyer_id": N_("Buyer ID"),
    "receiver_name": N_("Receiver"),
    "receiver_phone": N_("Phone"),
    "receiver_address": N_("Receiver's address"),
    "sku": N_("SKU"),
    "item_name": N_("Item name"),
    "attributes": N_("Attributes"),
    "quantity": N_("Quantity"),
    "unit_price": N_("Unit price"),
    "amount": N_("Amount"),
    "paid_at": N_("Paid at"),
    "status": N_("Order status"),
    "after_sale": N_("After-sale status"),
    "line_total": N_("Line total"),
    "remark": N_("Remark"),
}
# the lengths the orders' columns hold
LIMITS = {"order_no": 40, "buyer_id": 60, "receiver_name": 60, "receiver_phone": 20,
          "receiver_address": 300, "sku": 40, "item_name": 120, "attributes": 120,
          "remark": 500}
LIMIT_MESSAGES = {
    "order_no": N_("The order number is longer than %(max)d characters."),
    "buyer_id": N_("The buyer ID is longer than %(max)d characters."),
    "receiver_name": N_("The receiver's name is longer than %(max)d characters."),
    "receiver_phone": N_("The phone number is longer than %(max)d characters."),
    "receiver_address": N_("The address is longer than %(max)d characters."),
    "sku": N_("The SKU is longer than %(max)d characters."),
    "attributes": N_("The attributes are longer than %(max)d characters."),
}
MISSING = {
    "receiver_name": N_("Missing receiver name."),
    "receiver_phone": N_("Missing phone number."),
    "receiver_address": N_("Missing address."),
}
VERDICTS = {"create": N_("To create"), "update": N_("Status changes"),
            "duplicate": N_("Duplicates"), "skip": N_("Not for the desk"),
            "error": N_("Wrong rows")}
# what a status change does to the order (shown in the preview, done at confirmation)
EFFECTS = {
    "paid": N_("Marked paid: it joins the clerks' queue."),
    "cancel": N_("Cancelled: it was never paid."),
    "ask_cancel": N_("Cancellation asked: the order clerks are told to void it."),
    "after_sales": N_("The order clerks are told: it has shipped, so after-sales takes the "
                      "refund."),
    "note": N_("The new status is noted; the order clerks are told."),
}
STATES = {"preview": N_("Waiting for confirmation"), "done": N_("Imported"),
          "discarded": N_("Discarded")}
DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M",
                "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y.%m.%d %H:%M:%S", "%Y.%m.%d %H:%M",
                "%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d")
EMPTY_WORDS = {"", "-", "--", "null", "none", "n/a"}
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls")
NOT_A_WORKBOOK = N_("%(name)s is not an Excel workbook, although its name says so (a text "
                    "file renamed?). Export the orders again as XLSX or CSV.")
NOT_A_TABLE = N_("The file is neither a CSV file (UTF-8 or GBK text) nor an Excel workbook "
                 "(.xlsx). Export the orders again as CSV or XLSX.")


_key = presets.key  # a header as compared: no spaces, punctuation or brackets; any case


ALIASES = {_key(alias): name for name, (aliases, _required) in FIELDS.items()
           for alias in aliases}


# --- reading the file ------------------------------------------------------------------------


def read_table(data: bytes, filename: str | None = None) -> list[tuple[int, list]]:
    """The file's rows as (row number, cells), whatever its kind; ``RuleError`` (422, or
    413 when too large: ``params["status"]``) for a file that is not a table. A file named
    as a workbook must be one: a text file renamed ``.xlsx`` is not read as CSV."""
    if len(data) > MAX_BYTES:
        raise RuleError(N_("The file is larger than %(mb)d MB: split it into smaller files."),
                        "file", status=413, mb=MAX_MB)
    if not data.strip():
        raise RuleError(N_("The file is empty."), "file")
    if data[:4] == b"PK\x03\x04":
        return _xlsx_rows(data)
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise RuleError(N_("This is an old Excel file (.xls): save it as .xlsx or CSV and "
                           "upload that."), "file")
    name = _clean_filename(filename)
    if name.casefold().endswith(WORKBOOK_SUFFIXES):
        raise RuleError(NOT_A_WORKBOOK, "file", name=name)
    rows = _csv_rows(data)
    if not any(len([c for c in cells if str(c).strip()]) > 1 for _n, cells in
               rows[:HEADER_SEARCH]):
        raise RuleError(NOT_A_TABLE, "file")  # text, but no line has two columns
    return rows


def _too_many_rows() -> RuleError:
    return RuleError(N_("The file has more than %(max)s rows: split it into smaller files."),
                     "file", max=f"{MAX_ROWS:,}")


def _decode(data: bytes) -> str:
    """The text of a CSV file: UTF-8 (with or without BOM), UTF-16 with BOM, else GBK
    (read as GB18030, its superset); refused when it is not text at all."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings = ("utf-16",)
    else:
        encodings = ("utf-8-sig", "gb18030")
    for encoding in encodings:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise RuleError(NOT_A_TABLE, "file")
    head = text[:100_000]
    controls = sum(1 for ch in head if ch < " " and ch not in "\t\r\n")
    if "\x00" in text or controls > len(head) // 100:
        raise RuleError(NOT_A_TABLE, "file")
    return text


def _csv_rows(data: bytes) -> list[tuple[int, list]]:
    text = _decode(data)
    # the delimiter the header uses most (it may follow a title line without any)
    head = [line for line in text[:20_000].splitlines() if line.strip()][:HEADER_SEARCH]
    delimiter = max(",\t;", key=lambda d: max((line.count(d) for line in head), default=0))
    rows = []
    blank_run = 0
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        for number, cells in enumerate(reader, start=1):
            if not any(cell.strip() for cell in cells):
                blank_run += 1
                continue
            blank_run = 0
            if len(rows) > MAX_ROWS + HEADER_SEARCH:
                raise _too_many_rows()
            rows.append((number, cells[:MAX_COLUMNS]))
    except csv.Error as error:
        raise RuleError(N_("The file cannot be read as CSV (%(problem)s)."), "file",
                        problem=str(error)) from error
    return rows


def _xlsx_rows(data: bytes) -> list[tuple[int, list]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError) as error:
        raise RuleError(NOT_A_TABLE, "file") from error
    if "xl/workbook.xml" not in {member.filename for member in members}:
        raise RuleError(N_("This zip file is not an Excel workbook (.xlsx)."), "file")
    if sum(member.file_size for member in members) > MAX_UNPACKED:
        raise RuleError(N_("The workbook is too large once unpacked: split it into smaller "
                           "files."), "file")
    if count_sheet_rows(archive, MAX_ROWS + HEADER_SEARCH) > MAX_ROWS + HEADER_SEARCH:
        raise _too_many_rows()
    from openpyxl import load_workbook

    rows = []
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            sheet = book.worksheets[0]
            blank_run = 0
            for number, cells in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS,
                                                           values_only=True), start=1):
                if all(cell is None or str(cell).strip() == "" for cell in cells):
                    blank_run += 1
                    if blank_run > 500:  # formatted but empty rows to the sheet's end
                        break
                    continue
                blank_run = 0
                if len(rows) > MAX_ROWS + HEADER_SEARCH:
                    raise _too_many_rows()
                rows.append((number, list(cells)))
        finally:
            book.close()
    except RuleError:
        raise
    except Exception as error:  # openpyxl raises many kinds on a damaged workbook
        raise RuleError(N_("The workbook could not be read: is it damaged?"), "file") from error
    return rows


_SHEET = re.compile(r'<(?:\w+:)?sheet\b[^>]*?\br:id="([^"]+)"')
_TARGET = re.compile(r'<Relationship\b[^>]*?\bId="([^"]+)"[^>]*?\bTarget="([^"]+)"'
                     r'|<Relationship\b[^>]*?\bTarget="([^"]+)"[^>]*?\bId="([^"]+)"')
# a row, empty (self-closing) or with its cells; a filled one holds a value or inline text
_ROW = re.compile(r"<(?:\w+:)?row\b[^>]*?/>|<(?:\w+:)?row\b.*?</(?:\w+:)?row>", re.S)
_VALUE = re.compile(r"<(?:\w+:)?(?:v|is)\b")
SCAN_BLOCK = 1 << 20


def _first_sheet(archive: zipfile.ZipFile) -> str | None:
    """The path of the workbook's first sheet inside the zip."""
    try:
        book = archive.read("xl/workbook.xml").decode("utf-8", "replace")
        rels = archive.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
    except KeyError:
        return None
    first = _SHEET.search(book)
    if first is None:
        return None
    for match in _TARGET.finditer(rels):
        ident, target = (match.group(1), match.group(2)) if match.group(1) else \
            (match.group(4), match.group(3))
        if ident == first.group(1):
            target = target.lstrip("/")
            return target if target.startswith("xl/") else "xl/" + target
    return None


def count_sheet_rows(archive: zipfile.ZipFile, limit: int) -> int:
    """How many rows of the first sheet hold a value, counted in its XML as it unpacks and
    stopped past ``limit`` (issue 16 item 7: a 200,000-row workbook is refused after reading
    a tenth of it, before openpyxl loads its strings). The sheet's own dimension is not
    trusted: formatted empty rows stretch it, and a file may state anything."""
    path = _first_sheet(archive)
    if path is None or path not in archive.namelist():
        return 0
    filled = 0
    buffer = ""
    with archive.open(path) as stream:
        while filled <= limit:
            block = stream.read(SCAN_BLOCK)
            if not block:
                break
            buffer += block.decode("utf-8", "ignore")  # the tags are ASCII
            end = 0
            for row in _ROW.finditer(buffer):
                end = row.end()
                if _VALUE.search(row.group(0)):
                    filled += 1
            buffer = buffer[end:]
    return filled


def _header_names(name: str, preset: Preset | None = None) -> str:
    """A field's usual header: the preset's (``联系手机``), else the general Chinese one and
    its English one: ``联系手机 (phone)``."""
    if preset is not None and name in preset.headers:
        return preset.headers[name][0]
    aliases = FIELDS[name][0]
    english = next(alias for alias in aliases if alias.isascii())
    return f"{aliases[0]} ({english})"


NO_HEADER = N_("No known header row was found in the file's first %(rows)d rows. Expected a "
               "platform's order export — %(expected)s — or a table with the columns "
               "%(columns)s. If the headers look garbled, save the file as UTF-8 or GBK CSV "
               "or as .xlsx and upload it again.")
MAX_UNKNOWN = 40  # unknown columns named in the preview


@dataclass
class Header:
    """The header row found: its index, {field: column} (the address may be a tuple of
    columns joined), the preset recognised and the columns nobody reads."""

    index: int
    mapping: dict
    preset: Preset | None = None
    unknown: list[str] = field(default_factory=list)


def _map_row(cells: list, preset: Preset | None) -> tuple[dict, set[int]]:
    """{field: column} for one header row: the preset's headers first, then the address in
    parts, then the general names; and the columns used."""
    mapping: dict = {}
    used: set[int] = set()
    keys = [_key(cell) if cell is not None else "" for cell in cells]

    def take(table: dict[str, str]) -> None:
        for column, cell_key in enumerate(keys):
            name = table.get(cell_key) if cell_key else None
            if name and name not in mapping and column not in used:
                mapping[name] = column  # the leftmost column of a field wins
                used.add(column)

    if preset is not None:  # the preset's names in its order of preference
        for name, headers in preset.headers.items():
            for header in headers:
                column = next((c for c, k in enumerate(keys) if k == _key(header)
                               and c not in used), None)
                if column is not None:
                    mapping[name] = column
                    used.add(column)
                    break
        parts = [keys.index(_key(part)) for part in preset.address_parts
                 if _key(part) in keys]
        if parts and "receiver_address" not in mapping:
            mapping["receiver_address"] = tuple(parts)
            used.update(parts)
    take(ALIASES)
    return mapping, used


def read_header(rows: list[tuple[int, list]]) -> Header:
    """The header row and what its columns are; ``RuleError`` naming what was expected when
    no row is a known header, or naming the missing columns."""
    found: Header | None = None
    best = Header(0, {})
    for index, (_number, cells) in enumerate(rows[:HEADER_SEARCH]):
        preset = presets.detect(cells)
        mapping, used = _map_row(cells, preset)
        if preset is not None:
            known = {_key(h) for h in preset.known}
            known |= {_key(h) for headers in preset.headers.values() for h in headers}
            unknown = [str(cell).strip()[:40] for column, cell in enumerate(cells)
                       if column not in used and cell is not None and str(cell).strip()
                       and _key(cell) not in known]
            found = Header(index, mapping, preset, unknown[:MAX_UNKNOWN])
            break
        if len(mapping) > len(best.mapping):
            unknown = [str(cell).strip()[:40] for column, cell in enumerate(cells)
                       if column not in used and cell is not None and str(cell).strip()]
            best = Header(index, mapping, None, unknown[:MAX_UNKNOWN])
    header = found or best
    if found is None and len(best.mapping) < 3:
        raise RuleError(NO_HEADER, "file", rows=HEADER_SEARCH, expected=presets.expected(),
                        columns=", ".join(_header_names(name) for name, (_a, required)
                                          in FIELDS.items() if required))
    missing = [name for name, (_aliases, required) in FIELDS.items()
               if required and name not in header.mapping
               and not (name == "unit_price" and "line_total" in header.mapping)]
    if missing:
        raise RuleError(N_("These columns are missing: %(columns)s. Check the file's header "
                           "row."), "file",
                        columns=", ".join(_header_names(name, header.preset)
                                          for name in missing),
                        missing=missing)
    return header


def find_header(rows: list[tuple[int, list]]) -> tuple[int, dict]:
    """(index of the header row, {field: column}); ``RuleError`` naming missing columns."""
    header = read_header(rows)
    return header.index, header.mapping


# --- reading the cells -----------------------------------------------------------------------


def _text(value) -> str:
    """A cell as text: Excel's ``="123"`` and leading ``'`` removed, whole floats as
    integers (phone and order numbers typed as numbers)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    text = str(value).replace("\u3000", " ").strip()
    if text.startswith('="') and text.endswith('"'):
        text = text[2:-1].strip()
    return text.lstrip("'").strip()


def _empty(text: str) -> bool:
    return text.casefold() in EMPTY_WORDS


# a cell a spreadsheet would run: "=…", "@…", or "+"/"-" before more than a number
_FORMULA = re.compile(r"[=@]")
_SIGNED_NUMBER = re.compile(r"[+\-][\d\s.\-()]*")
FORMULA = N_("The cell %(value)s is a formula: formulas are never imported. Export the "
             "values, not the formulas.")


def _formula(text: str) -> bool:
    if not text:
        return False
    if text[0] in "+-":
        return _SIGNED_NUMBER.fullmatch(text) is None
    return _FORMULA.match(text) is not None


def _plain(number: int, text: str, reasons: list) -> str:
    """A text cell, or "" with a reason when it holds a formula."""
    if _formula(text):
        reasons.append(Reason(number, FORMULA, {"value": text[:40]}))
        return ""
    return text


def _money(value) -> Decimal | None:
    """A money cell as Decimal (¥, commas and spaces allowed); None when not a number."""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        number = Decimal(str(value))
    else:
        text = re.sub(r"[\s,¥￥]", "", _text(value)).removeprefix("RMB")
        try:
            number = Decimal(text)
        except InvalidOperation:
            return None
    if not number.is_finite():
        return None
    return number.quantize(CENT, rounding=ROUND_HALF_UP)


def _quantity(value) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    number = _money(value)
    if number is None or number != number.to_integral_value():
        return None
    return int(number)


def _moment(value) -> datetime | None:
    """A payment time (department time) as an aware moment; None when not a date."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    else:
        text = _text(value)
        for pattern in DATE_FORMATS:
            try:
                moment = datetime.strptime(text, pattern)
                break
            except ValueError:
                continue
        else:
            return None
    tz = clock.get_clock().tz
    return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment.astimezone(tz)


# --- the verdicts ----------------------------------------------------------------------------


@dataclass
class Reason:
    """Why a row is wrong: an untranslated message with its parameters."""

    row: int
    message: str
    params: dict = field(default_factory=dict)

    def plain(self) -> dict:
        return {"row": self.row, "message": self.message, "params": self.params}


@dataclass
class _Group:
    """The rows of one order (or of a row without an order number) while parsing."""

    order_no: str
    first_row: int
    rows: list[int] = field(default_factory=list)
    values: dict = field(default_factory=dict)   # order fields: the first non-empty value
    lines: list[dict] = field(default_factory=list)
    reasons: list[Reason] = field(default_factory=list)
    conflict_with: int | None = None              # in-file duplicate: the first row's number


def _line(number: int, cell, known: dict[str, StockItem], reasons: list[Reason]) -> dict:
    """One order line from a row, adding to ``reasons`` what is wrong with it."""
    sku = _plain(number, _text(cell("sku")), reasons)
    if _empty(sku):
        sku = ""
        reasons.append(Reason(number, N_("Missing SKU.")))
    elif len(sku) > LIMITS["sku"]:
        reasons.append(Reason(number, LIMIT_MESSAGES["sku"], {"max": LIMITS["sku"]}))
    elif sku not in known:
        reasons.append(Reason(number, N_("SKU %(sku)s is not in the stock list."),
                              {"sku": sku}))
    item_name = _plain(number, _text(cell("item_name")), reasons)
    if _empty(item_name):
        item_name = known[sku].name if sku in known else ""
    attributes = _plain(number, _text(cell("attributes")), reasons)
    if _empty(attributes):
        attributes = ""
    elif len(attributes) > LIMITS["attributes"]:
        reasons.append(Reason(number, LIMIT_MESSAGES["attributes"],
                              {"max": LIMITS["attributes"]}))
    raw_quantity = _text(cell("quantity"))
    quantity = None if _empty(raw_quantity) else _quantity(cell("quantity"))
    if _empty(raw_quantity):
        reasons.append(Reason(number, N_("Missing quantity.")))
    elif quantity is None:
        reasons.append(Reason(number, N_("The quantity %(value)s is not a whole number."),
                              {"value": raw_quantity}))
    elif quantity < 1:
        reasons.append(Reason(number, N_("The quantity must be at least 1.")))
    elif quantity > MAX_QUANTITY:
        reasons.append(Reason(number, N_("The quantity cannot be more than %(max)s."),
                              {"max": f"{MAX_QUANTITY:,}"}))
    raw_price = _text(cell("unit_price"))
    price = None if _empty(raw_price) else _money(cell("unit_price"))
    if _empty(raw_price) and isinstance(quantity, int) and quantity >= 1:
        # a line's total (拼多多 商品总价) over its quantity
        total = _money(cell("line_total"))
        if total is not None:
            raw_price = _text(cell("line_total"))
            price = (total / quantity).quantize(CENT, rounding=ROUND_HALF_UP)
    if _empty(raw_price):
        reasons.append(Reason(number, N_("Missing unit price.")))
    elif price is None:
        reasons.append(Reason(number, N_("The unit price %(value)s is not a number."),
                              {"value": raw_price}))
    elif price < 0:
        reasons.append(Reason(number, N_("The unit price cannot be negative.")))
    elif price > MAX_MONEY:
        reasons.append(Reason(number, N_("The unit price %(value)s is too large."),
                              {"value": raw_price}))
    return {"row": number, "sku": sku, "item_name": item_name[:LIMITS["item_name"]],
            "attributes": attributes[:LIMITS["attributes"]],
            "quantity": quantity if quantity is not None else raw_quantity,
            "unit_price": str(price) if price is not None else raw_price}


def _status(preset: Preset | None, word: str, after_sale: bool = False) -> str | None:
    """A platform's status word as a status (the general table knows every preset's)."""
    chosen = (preset,) if preset is not None else presets.PRESETS
    for each in chosen:
        status = each.after_sale_of(word) if after_sale else each.status_of(word)
        if status:
            return status
    return None


def _order_values(number: int, cell, now: datetime, reasons: list[Reason],
                  preset: Preset | None = None, unknown_words: set | None = None) -> dict:
    """The order fields a row carries (empty ones left out), checking each."""
    values = {}
    for name in ("buyer_id", "receiver_name", "receiver_phone", "receiver_address", "remark"):
        text = _text(cell(name))
        if name == "receiver_phone":
            text = re.sub(r"\s+", "", text)
        if _empty(text):
            continue
        if _formula(text):
            reasons.append(Reason(number, FORMULA, {"value": text[:40]}))
            continue
        if name == "remark":
            values[name] = text[:LIMITS["remark"]]
            continue
        if len(text) > LIMITS[name]:
            reasons.append(Reason(number, LIMIT_MESSAGES[name], {"max": LIMITS[name]}))
        elif name == "receiver_phone":
            try:  # the rule the visitor log and the order forms follow (portal.phones)
                text = phones.normalise(text)
            except ValueError:
                reasons.append(Reason(number, N_("The phone number %(value)s is neither a "
                                                 "mobile number (11 digits) nor a landline "
                                                 "with its area code."), {"value": text}))
        values[name] = text
    raw_amount = _text(cell("amount"))
    if not _empty(raw_amount):
        amount = _money(cell("amount"))
        if amount is None:
            reasons.append(Reason(number, N_("The amount %(value)s is not a number."),
                                  {"value": raw_amount}))
        elif amount < 0:
            reasons.append(Reason(number, N_("The amount cannot be negative.")))
        elif amount > MAX_MONEY:
            reasons.append(Reason(number, N_("The amount %(value)s is too large."),
                                  {"value": raw_amount}))
        else:
            values["amount"] = amount
    raw_paid = _text(cell("paid_at"))
    if not _empty(raw_paid):
        paid_at = _moment(cell("paid_at"))
        if paid_at is None:
            reasons.append(Reason(number, N_("The payment time %(value)s is not a date "
                                             "(write it as 2026-11-22 10:05)."),
                                  {"value": raw_paid}))
        elif paid_at > now:
            reasons.append(Reason(number, N_("The payment time %(value)s is in the future."),
                                  {"value": raw_paid}))
        else:
            values["paid_at"] = paid_at
    word = _text(cell("status"))
    if not _empty(word):
        status = _status(preset, word)
        if status is None and unknown_words is not None and len(unknown_words) < 20:
            unknown_words.add(word[:30])
        elif status is not None:
            values["status"], values["status_word"] = status, word[:30]
    after = _text(cell("after_sale"))
    if not _empty(after):  # 售后状态: a refund under way or done overrides the order's
        status = _status(preset, after, after_sale=True)
        if status is not None and values.get("status") != "closed":
            values["status"], values["status_word"] = status, after[:30]
    return values


RECEIVER = ("receiver_name", "receiver_phone", "receiver_address")


def _group_rows(rows, mapping, known, now, preset: Preset | None = None,
                unknown_words: set | None = None) -> list[_Group]:
    """Rows grouped into orders, in the order they appear; a row repeating an order number
    with another receiver starts an in-file duplicate."""
    groups: dict[tuple, _Group] = {}
    first_of: dict[str, _Group] = {}
    single = 0

    for number, cells in rows:
        def cell(name, cells=cells):
            column = mapping.get(name)
            if isinstance(column, tuple):  # the address in parts: 省 市 区 街道 详细地址
                parts = [_text(cells[c]) for c in column if c < len(cells)]
                return "".join(part for part in parts if not _empty(part))
            return cells[column] if column is not None and column < len(cells) else None

        reasons: list[Reason] = []
        raw_no = cell("order_no")
        order_no = _text(raw_no)
        if _formula(order_no):
            reasons.append(Reason(number, FORMULA, {"value": order_no[:40]}))
            order_no = ""
        elif _empty(order_no):
            order_no = ""
            reasons.append(Reason(number, N_("Missing order number.")))
        elif (re.fullmatch(r"\d+(\.\d+)?[eE]\+?\d+", order_no)
              # a long number kept as a number lost its last digits (a float has 15-16)
              or (isinstance(raw_no, float) and abs(raw_no) >= 1e15)):
            reasons.append(Reason(number, N_("The order number %(no)s was shortened by Excel: "
                                             "format the column as text and export again."),
                                  {"no": order_no}))
        elif len(order_no) > LIMITS["order_no"]:
            reasons.append(Reason(number, LIMIT_MESSAGES["order_no"],
                                  {"max": LIMITS["order_no"]}))
        values = _order_values(number, cell, now, reasons, preset, unknown_words)
        line = _line(number, cell, known, reasons)

        if not order_no:
            single += 1
            group = groups[("", single)] = _Group("", number)
        else:
            main = first_of.get(order_no)
            if main is None:
                group = first_of[order_no] = groups[(order_no, 0)] = _Group(order_no, number)
            else:
                clash = any(name in values and name in main.values
                            and values[name] != main.values[name] for name in RECEIVER)
                if clash:
                    key = (order_no, tuple(values.get(name, "") for name in RECEIVER))
                    group = groups.get(key)
                    if group is None:
                        group = groups[key] = _Group(order_no, number,
                                                     conflict_with=main.first_row)
                else:
                    group = main
        group.rows.append(number)
        for name, value in values.items():
            group.values.setdefault(name, value)
        group.lines.append(line)
        group.reasons.extend(reasons)
    return list(groups.values())


def _in_chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def existing_numbers(platform: str, numbers: Iterable[str]) -> set[str]:
    """Those of ``numbers`` that are already orders of ``platform`` (one query per 500)."""
    wanted = sorted({n for n in numbers if n})
    found: set[str] = set()
    for chunk in _in_chunks(wanted):
        found.update(db.session.scalars(
            sa.select(Order.order_no).where(Order.platform == platform,
                                            Order.order_no.in_(chunk))))
    return found


@dataclass
class Existing:
    """What a re-import compares with: an order's stage and platform status."""

    stage: str
    platform_status: str | None
    cancel_requested: bool

    @property
    def status(self) -> str:
        """The platform status last imported, else the one its stage implies."""
        if self.platform_status:
            return self.platform_status
        if self.stage == "awaiting_payment":
            return "awaiting_payment"
        if self.stage == "cancelled":
            return "closed"
        return "refunding" if self.cancel_requested else "paid"


def existing_orders(platform: str, numbers: Iterable[str]) -> dict[str, Existing]:
    """{order number: Existing} for those of ``numbers`` already orders of ``platform``."""
    wanted = sorted({n for n in numbers if n})
    found: dict[str, Existing] = {}
    for chunk in _in_chunks(wanted):
        for no, stage, status, asked in db.session.execute(
                sa.select(Order.order_no, Order.stage, Order.platform_status,
                          Order.cancel_requested_at)
                .where(Order.platform == platform, Order.order_no.in_(chunk))):
            found[no] = Existing(stage, status, asked is not None)
    return found


def effect(existing: Existing, status: str | None) -> str | None:
    """What a file's status does to an existing order (EFFECTS), None when nothing changed
    (the same status, or paid → shipped → completed, which the desk records itself)."""
    if status is None or presets.status_class(status) == \
            presets.status_class(existing.status):
        return None
    stage = existing.stage
    if status in presets.GOING:
        return "paid" if stage == "awaiting_payment" else "note"
    if stage == "cancelled":
        return "note"
    if stage in GONE:
        return "after_sales"
    if status == "closed" and stage == "awaiting_payment":
        return "cancel"
    return "note" if existing.cancel_requested else "ask_cancel"


def known_stock(skus: Iterable[str]) -> dict[str, StockItem]:
    """{sku: StockItem} for the SKUs in the stock list (one query per 500)."""
    wanted = sorted({s for s in skus if s})
    found: dict[str, StockItem] = {}
    for chunk in _in_chunks(wanted):
        for item in db.session.scalars(sa.select(StockItem).where(StockItem.sku.in_(chunk))):
            found[item.sku] = item
    return found


def _decimal(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:
        return Decimal("0")


def _entry(group: _Group, verdict: str, reasons: list[Reason]) -> dict:
    values = group.values
    paid_at = values.get("paid_at")
    if "amount" in values:
        amount = values["amount"]
    else:
        amount = sum((_decimal(line["unit_price"]) * line["quantity"]
                      for line in group.lines if isinstance(line["quantity"], int)),
                     Decimal("0"))
    return {
        "verdict": verdict,
        "order_no": group.order_no,
        "rows": group.rows,
        "buyer_id": values.get("buyer_id", ""),
        "receiver_name": values.get("receiver_name", ""),
        "receiver_phone": values.get("receiver_phone", ""),
        "receiver_address": values.get("receiver_address", ""),
        "amount": str(amount),
        "paid_at": paid_at.isoformat() if paid_at else None,
        "lines": group.lines,
        "reasons": [reason.plain() for reason in reasons],
        "status": values.get("status"),
        "status_word": values.get("status_word", ""),
        "remark": values.get("remark", ""),
    }


def judge(rows: list[tuple[int, list]], platform: str, now: datetime | None = None,
          header: Header | None = None) -> tuple[list[dict], dict]:
    """(entries, counts): each order of the file with its verdict and reasons — create, a
    status change of an order already here (update), duplicate, not for the desk (skip:
    a new order the platform shows closed, refunding or already shipped) or error."""
    now = now or clock.now()
    header = header or read_header(rows)
    mapping = header.mapping
    data = rows[header.index + 1:]
    if len(data) > MAX_ROWS:
        raise _too_many_rows()
    if not data:
        raise RuleError(N_("The file has a header row but no orders."), "file")
    sku_column = mapping["sku"]
    known = known_stock(_text(cells[sku_column]) for _n, cells in data
                        if sku_column < len(cells))
    unknown_words: set[str] = set()
    groups = _group_rows(data, mapping, known, now, header.preset, unknown_words)
    taken = existing_orders(platform, (g.order_no for g in groups))
    entries = []
    for group in groups:
        if group.conflict_with is not None:
            entries.append(_entry(group, "duplicate", [Reason(
                group.first_row, N_("Order %(no)s already appears in row %(first)d with "
                                    "another receiver."),
                {"no": group.order_no, "first": group.conflict_with})]))
        elif group.order_no and group.order_no in taken:
            existing = taken[group.order_no]
            change = effect(existing, group.values.get("status"))
            if change is None:
                entries.append(_entry(group, "duplicate", [Reason(
                    group.first_row, N_("Order %(no)s already exists on this platform."),
                    {"no": group.order_no})]))
            else:
                entry = _entry(group, "update", [])
                entry["change"] = {"from": existing.status, "stage": existing.stage,
                                   "effect": change}
                entries.append(entry)
        else:
            reasons = list(group.reasons)
            if group.order_no:
                for name in RECEIVER:
                    if name not in group.values:
                        reasons.append(Reason(group.first_row, MISSING[name]))
            status = group.values.get("status")
            if not reasons and status in NOT_FOR_THE_DESK:
                reasons = [Reason(group.first_row, NOT_FOR_THE_DESK[status],
                                  {"no": group.order_no,
                                   "status": group.values.get("status_word", "")})]
                entries.append(_entry(group, "skip", reasons))
                continue
            entries.append(_entry(group, "error" if reasons else "create", reasons))
    return entries, tally(entries, rows=len(data),
                          preset=header.preset.code if header.preset else "",
                          unknown_columns=header.unknown,
                          unknown_statuses=sorted(unknown_words))


# a new order the platform already shows thus is not the desk's to work
NOT_FOR_THE_DESK = {
    "shipped": N_("Order %(no)s has already shipped on the platform (%(status)s): not "
                  "imported."),
    "completed": N_("Order %(no)s is already completed on the platform (%(status)s): not "
                    "imported."),
    "refunding": N_("Order %(no)s is being refunded on the platform (%(status)s): not "
                    "imported."),
    "closed": N_("Order %(no)s is closed on the platform (%(status)s): not imported."),
}


def tally(entries: list[dict], **extra) -> dict:
    """The counts shown for an import."""
    counts = {"create": 0, "update": 0, "duplicate": 0, "skip": 0, "error": 0, "lines": 0,
              "error_rows": 0}
    wrong_rows: set[int] = set()
    for entry in entries:
        counts[entry["verdict"]] += 1
        if entry["verdict"] == "create":
            counts["lines"] += len(entry["lines"])
        elif entry["verdict"] == "error":
            wrong_rows.update(reason["row"] for reason in entry["reasons"])
    counts["error_rows"] = len(wrong_rows)
    counts.update(extra)
    return counts


# --- the import's life: preview, confirm, discard --------------------------------------------


def _clean_filename(name: str | None) -> str:
    return clean_name(name) or "orders"


def preview(user: User, platform: str, filename: str | None, data: bytes) -> OrderImport:
    """Read an export and keep it, with each order's verdict, for confirmation; nothing is
    created. ``RuleError`` (nothing kept) for an unknown platform or a file that is not a
    readable table of orders."""
    if platform and platform not in PLATFORMS:
        raise RuleError(N_("Choose a platform from the list."), "platform")
    rows = read_table(data, filename)
    header = read_header(rows)
    platform = platform_for(header.preset, platform)
    entries, counts = judge(rows, platform, header=header)
    record = OrderImport(platform=platform, filename=_clean_filename(filename), rows=entries,
                         counts=counts, state="preview", created_by_id=user.id,
                         created_at=clock.now())
    db.session.add(record)
    db.session.flush()
    audit.record("orders.import_uploaded", record, actor=user,
                 details={"platform": platform, "file": record.filename,
                          **{k: counts[k] for k in ("rows", "create", "duplicate", "error")}})
    return record


def platform_for(preset: Preset | None, chosen: str | None) -> str:
    """The platform of a file's orders: the preset's (Taobao's file may be Tmall's too), the
    one chosen when no preset says; a choice the preset contradicts is refused."""
    from portal.orders.import_presets import gettext

    if preset is None:
        if not chosen:
            raise RuleError(N_("Choose the platform: this file does not say which platform "
                               "it comes from."), "platform")
        return chosen
    if not chosen:
        return preset.platforms[0]
    if chosen not in preset.platforms:
        raise RuleError(N_("This file is a %(preset)s, not an export of %(platform)s: choose "
                           "%(platforms)s or leave the platform to the file."), "platform",
                        preset=gettext(preset.label), platform=gettext(PLATFORMS[chosen]),
                        platforms=" / ".join(gettext(PLATFORMS[p]) for p in preset.platforms))
    return chosen


@dataclass
class Entry:
    """An order of an import as shown: its verdict, fields, lines and reasons."""

    verdict: str
    order_no: str
    rows: list[int]
    buyer_id: str
    receiver_name: str
    receiver_phone: str
    receiver_address: str
    amount: Decimal | None
    paid_at: datetime | None
    lines: list[dict]
    reasons: list[dict]
    status: str | None = None
    status_word: str = ""
    remark: str = ""
    change: dict | None = None

    @classmethod
    def of(cls, plain: dict) -> "Entry":
        try:
            amount = Decimal(plain["amount"])
        except (InvalidOperation, TypeError):
            amount = None
        paid = plain.get("paid_at")
        return cls(plain["verdict"], plain["order_no"], plain["rows"], plain["buyer_id"],
                   plain["receiver_name"], plain["receiver_phone"], plain["receiver_address"],
                   amount, datetime.fromisoformat(paid) if paid else None, plain["lines"],
                   plain["reasons"], plain.get("status"), plain.get("status_word", ""),
                   plain.get("remark", ""), plain.get("change"))

    @property
    def row_span(self) -> str:
        first, last = min(self.rows), max(self.rows)
        return str(first) if first == last else f"{first}–{last}"


def entries(record: OrderImport, verdict: str,
            limit: int | None = None) -> tuple[list[Entry], int]:
    """(the first ``limit`` (SHOWN) entries of one kind, how many there are)."""
    limit = SHOWN if limit is None else limit
    chosen = [plain for plain in record.rows or () if plain["verdict"] == verdict]
    return [Entry.of(plain) for plain in chosen[:limit]], len(chosen)


def problems(record: OrderImport) -> Iterable[tuple[str, dict]]:
    """(verdict, reason) of every duplicate and wrong row, in the file's order."""
    for plain in record.rows or ():
        if plain["verdict"] != "create":
            for reason in plain["reasons"]:
                yield plain["verdict"], {**reason, "order_no": plain["order_no"]}


def recent(limit: int = RECENT) -> list[OrderImport]:
    """The latest imports, newest first, without their (large) rows."""
    return list(db.session.scalars(
        sa.select(OrderImport).options(defer(OrderImport.rows))
        .order_by(OrderImport.id.desc()).limit(limit)))


def _expect_preview(record: OrderImport, version: int | None) -> None:
    if record.state != "preview" or version != record.version:
        raise Conflict(record)


def _order_row(user: User, record: OrderImport, plain: dict, now: datetime) -> dict:
    paid_at = datetime.fromisoformat(plain["paid_at"]) if plain["paid_at"] else None
    if plain.get("status") == "awaiting_payment":
        paid_at = None
    return {
        "platform": record.platform, "order_no": plain["order_no"],
        "buyer_id": plain["buyer_id"], "receiver_name": plain["receiver_name"],
        "receiver_phone": plain["receiver_phone"],
        "phone_tail": phone_tail(plain["receiver_phone"]),
        "receiver_address": plain["receiver_address"], "amount": Decimal(plain["amount"]),
        "payment": "online" if paid_at else "awaiting", "paid_at": paid_at,
        "stage": first_stage(record.platform, paid_at), "open_tasks": 0,
        "created_at": now, "created_by_id": user.id, "import_id": record.id, "version": 1,
        "platform_status": plain.get("status"),
    }


def _insert(user: User, record: OrderImport, fresh: list[dict], now: datetime) -> None:
    """The orders and their lines, in bulk (a few statements per thousand rows)."""
    ids: dict[str, int] = {}
    for chunk in _in_chunks(fresh, INSERT_CHUNK):
        result = db.session.execute(sa.insert(Order).returning(Order.id, Order.order_no),
                                    [_order_row(user, record, plain, now) for plain in chunk])
        ids.update((order_no, order_id) for order_id, order_no in result)
    lines = [{"order_id": ids[plain["order_no"]], "sku": line["sku"],
              "item_name": line["item_name"], "attributes": line["attributes"],
              "quantity": line["quantity"], "unit_price": Decimal(line["unit_price"])}
             for plain in fresh for line in plain["lines"]]
    for chunk in _in_chunks(lines, INSERT_CHUNK):
        db.session.execute(sa.insert(OrderLine), chunk)
    _remarks(user, [(ids[plain["order_no"]], plain) for plain in fresh], now)


def _remarks(user: User, orders: list[tuple[int, dict]], now: datetime) -> None:
    """The file's remark (商家备注, 备注) of each new order, as an order remark."""
    rows = [{"order_id": order_id, "kind": "other", "details": plain["remark"],
             "stage": "awaiting_payment" if not plain["paid_at"]
             or plain.get("status") == "awaiting_payment" else "paid",
             "author_id": user.id, "created_at": now}
            for order_id, plain in orders if plain.get("remark")]
    for chunk in _in_chunks(rows, INSERT_CHUNK):
        db.session.execute(sa.insert(OrderRemark), chunk)


def _create_one_by_one(user: User, record: OrderImport, fresh: list[dict]) -> list[dict]:
    """Distributor orders, each through ``orders.create`` — the function a hand-typed order
    goes through, so the distributor stage rules (waiting for review) apply to them too.
    Returns those refused meanwhile (each one's refusal leaves the others)."""
    from portal.orders import orders

    refused = []
    for plain in fresh:
        lines = [orders.LineInput(sku=line["sku"], item_name=line["item_name"],
                                  attributes=line["attributes"], quantity=line["quantity"],
                                  unit_price=Decimal(line["unit_price"]))
                 for line in plain["lines"]]
        try:
            with db.session.begin_nested():
                order = orders.create(
                    user, platform=record.platform, order_no=plain["order_no"],
                    buyer_id=plain["buyer_id"], receiver_name=plain["receiver_name"],
                    receiver_phone=plain["receiver_phone"],
                    receiver_address=plain["receiver_address"], payment="awaiting",
                    lines=lines)
                order.import_id = record.id
                db.session.flush()
        except RuleError:
            refused.append(plain)
            continue
        _remarks(user, [(order.id, plain)], order.created_at)
    return refused


def confirm(user: User, record: OrderImport, version: int) -> OrderImport:
    """Create the import's good orders in bulk (stage paid, or awaiting payment without a
    payment time), each linked to the import. An order someone created meanwhile, or one
    whose SKU left the stock list, is skipped and reported. A second confirm, or one of a
    discarded import, is a ``Conflict``."""
    _expect_preview(record, version)
    now = clock.now()
    record.state = "done"
    record.confirmed_at = now
    # the import's row first (UPDATE ... WHERE version = ?): a confirm racing this one
    # waits here and then fails (StaleDataError: the runner answers 409), before creating
    # anything
    db.session.flush()
    plain_entries = list(record.rows)
    wanted = [plain for plain in plain_entries if plain["verdict"] == "create"]
    preset = presets.BY_CODE.get((record.counts or {}).get("preset") or "")
    for _attempt in range(3):
        taken = existing_numbers(record.platform, (plain["order_no"] for plain in wanted))
        known = known_stock(line["sku"] for plain in wanted for line in plain["lines"])
        fresh, skipped = [], []
        for plain in wanted:
            gone = plain["order_no"] in taken or any(line["sku"] not in known
                                                    for line in plain["lines"])
            (skipped if gone else fresh).append(plain)
        if preset is not None and preset.distributor:
            refused = _create_one_by_one(user, record, fresh)
            fresh = [plain for plain in fresh if plain not in refused]
            skipped += refused
            taken.update(plain["order_no"] for plain in refused)
            break
        try:
            with db.session.begin_nested():
                _insert(user, record, fresh, now)
            break
        except IntegrityError:
            continue  # someone created one of these orders this very moment: look again
    else:
        raise Conflict(record)  # the runner rolls the import's change back
    changed = _apply_changes(user, record, [plain for plain in plain_entries
                                            if plain["verdict"] == "update"], now)
    if skipped:
        # new dicts, not the loaded ones changed in place: the JSON is compared to be saved
        skipped_ids = {id(plain) for plain in skipped}
        record.rows = [_skipped(plain, plain["order_no"] in taken)
                       if id(plain) in skipped_ids else plain for plain in plain_entries]
    kept = {name: record.counts[name] for name in ("preset", "unknown_columns",
                                                   "unknown_statuses") if name in record.counts}
    counts = tally(record.rows, rows=record.counts.get("rows", 0), skipped=len(skipped),
                   changed=changed, **kept)
    record.counts = counts
    record.created_count = len(fresh)
    audit.record("orders.imported", record, actor=user,
                 details={"platform": record.platform, "file": record.filename,
                          "created": len(fresh), "lines": counts["lines"],
                          "skipped": len(skipped), "duplicates": counts["duplicate"],
                          "errors": counts["error"], "status_changes": changed})
    db.session.flush()
    return record


def _apply_changes(user: User, record: OrderImport, updates: list[dict],
                   now: datetime) -> int:
    """The status changes of the import, each checked again against the order as it is now
    (one changed meanwhile to the same status is left); how many were made."""
    if not updates:
        return 0
    numbers = [plain["order_no"] for plain in updates]
    found: dict[str, Order] = {}
    for chunk in _in_chunks(numbers):
        found.update((order.order_no, order) for order in db.session.scalars(
            sa.select(Order).where(Order.platform == record.platform,
                                   Order.order_no.in_(chunk))))
    changed = 0
    for plain in updates:
        order = found.get(plain["order_no"])
        if order is None:
            continue
        paid_at = datetime.fromisoformat(plain["paid_at"]) if plain["paid_at"] else None
        if apply_status(user, order, plain["status"], plain.get("status_word", ""),
                        paid_at, now) is not None:
            changed += 1
    return changed


def apply_status(user: User, order: Order, status: str, word: str,
                 paid_at: datetime | None = None, now: datetime | None = None) -> str | None:
    """A platform's new status for an order already here (R-O2): paid → the order is paid;
    refunding or closed → an unpaid order is cancelled, one not yet shipped gets a
    cancellation request (the clerks void it), a shipped one is the clerks' news for
    after-sales. The status is kept on the order, so the same file changes nothing twice.
    Returns the effect (``EFFECTS``), None when there was nothing to change."""
    from portal.notifications import notify_role
    from portal.orders import orders

    existing = Existing(order.stage, order.platform_status,
                        order.cancel_requested_at is not None)
    change = effect(existing, status)
    if change is None:
        return None
    now = now or clock.now()
    before = {"platform_status": order.platform_status, "stage": order.stage,
              "paid_at": order.paid_at}
    order.platform_status = status
    if change == "paid":
        order.stage = "paid"
        order.paid_at = paid_at if paid_at is not None and paid_at <= now else now
        if order.payment == "awaiting":
            order.payment = "online"
    elif change == "cancel":
        order.stage = "cancelled"
        order.closed_at = now
    audit.record("orders.platform_status", order, actor=user,
                 changes=audit.changes(order, ("platform_status", "stage", "paid_at"), before),
                 details={"word": word, "effect": change})
    db.session.flush()
    if change == "ask_cancel":
        from portal.orders.import_presets import gettext

        orders.request_cancel(user, order, order.version,
                              gettext("The platform shows: %(status)s", status=word))
    elif change != "paid":
        notify_role("order_clerk", NOTICES[change], orders._order_link(order),
                    no=order.order_no, status=word)
    return change


NOTICES = {
    "cancel": N_("Order %(no)s was closed on the platform (%(status)s) before it was paid: "
                 "it is cancelled."),
    "after_sales": N_("Order %(no)s has shipped but the platform now shows %(status)s: "
                      "after-sales takes the refund."),
    "note": N_("Order %(no)s: the platform now shows %(status)s."),
}


def _skipped(plain: dict, taken: bool) -> dict:
    """An order left out at confirmation, as a duplicate with the reason."""
    first = min(plain["rows"])
    if taken:
        reason = Reason(first, N_("Order %(no)s was created by someone else before the import "
                                  "was confirmed: skipped."), {"no": plain["order_no"]})
    else:
        reason = Reason(first, N_("A SKU of order %(no)s left the stock list before the "
                                  "import was confirmed: skipped."), {"no": plain["order_no"]})
    return {**plain, "verdict": "duplicate", "reasons": [reason.plain()]}


def discard(user: User, record: OrderImport, version: int) -> OrderImport:
    """Drop an import waiting for confirmation: nothing is created, its rows are let go."""
    _expect_preview(record, version)
    record.state = "discarded"
    record.rows = []
    audit.record("orders.import_discarded", record, actor=user,
                 details={"platform": record.platform, "file": record.filename})
    db.session.flush()
    return record
