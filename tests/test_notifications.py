"""Notifications: sending, the bell, marking read, translation at display time."""

import re

from portal.extensions import db
from portal.i18n import N_
from portal.notifications import notify, notify_role
from portal.notifications.models import Notification
from portal.notifications.services import unread_count
from tests.conftest import count_rows, today

HX = {"HX-Request": "true"}


def test_notify_role_reaches_every_active_holder(create_user):
    a, b = create_user("order_clerk"), create_user("order_clerk")
    gone = create_user("order_clerk", active=False)
    create_user("presales")
    notify_role("order_clerk", N_("Welcome to the customer-service portal, %(name)s."), "/",
                name="x")
    db.session.commit()
    assert unread_count(a) == unread_count(b) == 1
    assert unread_count(gone) == 0
    assert count_rows(Notification) == 2


def test_bell_shows_the_unread_count(client, sign_in, create_user, create_notification):
    user = sign_in(client, create_user("presales"))
    bell = client.get("/notifications/bell").get_data(as_text=True)
    assert 'id="bell"' in bell and "hidden" in bell
    create_notification(user)
    create_notification(user)
    bell = client.get("/notifications/bell").get_data(as_text=True)
    assert re.search(r'<span class="bell-count" aria-hidden="true"\s*>2</span>', bell)
    assert "every 30s" in bell and "notifications-changed from:body" in bell


def test_mark_one_read_in_place_and_tell_the_bell(client, sign_in, create_user,
                                                  create_notification):
    user = sign_in(client, create_user("presales"))
    note = create_notification(user)
    response = client.post(f"/notifications/{note.id}/read", headers=HX)
    assert response.status_code == 200
    assert "notifications-changed" in response.headers["HX-Trigger"]
    body = response.get_data(as_text=True)
    assert "<html" not in body and f'id="notification-{note.id}"' in body
    # the row as it is now: read, without its button
    assert 'class="notification"' in body and "Mark read" not in body
    assert unread_count(user) == 0


def test_mark_read_only_flushes(create_user, create_notification):
    from portal.notifications.services import mark_read

    user = create_user("presales")
    note = create_notification(user)
    db.session.commit()
    assert mark_read(user, note.id) == 1
    assert unread_count(user) == 0 and note.read_at is not None
    db.session.rollback()
    assert unread_count(user) == 1


def test_cannot_mark_someone_elses(client, sign_in, create_user, create_notification):
    sign_in(client, create_user("presales"))
    theirs = create_notification(create_user("aftersales"))
    assert client.post(f"/notifications/{theirs.id}/read").status_code == 404
    db.session.refresh(theirs)
    assert theirs.read_at is None


def test_mark_all_read(client, sign_in, create_user, create_notification):
    user = sign_in(client, create_user("presales"))
    for _ in range(3):
        create_notification(user)
    response = client.post("/notifications/read-all", headers=HX)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert 'id="notification-list"' in body and "unread" not in body
    assert "notifications-changed" in response.headers["HX-Trigger"]
    assert unread_count(user) == 0
    without_javascript = client.post("/notifications/read-all")
    assert without_javascript.status_code == 303
    assert without_javascript.headers["Location"] == "/notifications/"


def test_list_page_and_fragment(client, sign_in, create_user, create_notification):
    user = sign_in(client, create_user("presales"))
    create_notification(user)
    page = client.get("/notifications/").get_data(as_text=True)
    assert "<html" in page and user.display_name in page
    fragment = client.get("/notifications/", headers=HX).get_data(as_text=True)
    assert "<html" not in fragment and 'id="notification-list"' in fragment


def test_message_is_translated_for_each_reader(client, sign_in, create_user, create_notification):
    user = sign_in(client, create_user("presales", locale="en"))
    create_notification(user)
    english = client.get("/notifications/").get_data(as_text=True)
    assert f"Welcome to the customer-service portal, {user.display_name}." in english
    user.locale = "zh_CN"
    db.session.commit()
    chinese = client.get("/notifications/").get_data(as_text=True)
    assert "Welcome to the customer-service portal" not in chinese
    assert user.display_name in chinese


def test_unread_card_on_today(client, sign_in, create_user, create_notification):
    user = sign_in(client, create_user("reception"))
    create_notification(user)
    html = today(client).get_data(as_text=True)
    assert 'id="card-notifications"' in html and user.display_name in html


def test_notify_one_user_directly(create_user):
    user = create_user("presales")
    (note,) = notify(user, N_("Welcome to the customer-service portal, %(name)s."), name="A")
    db.session.commit()
    assert note.user_id == user.id and note.params == {"name": "A"}


def test_long_lists_are_paginated(client, sign_in, create_user, create_notification, app,
                                  monkeypatch):
    monkeypatch.setitem(app.config, "PAGE_SIZE", 5)
    user = sign_in(client, create_user("presales", locale="en"))
    for _ in range(12):
        create_notification(user)
    first = client.get("/notifications/").get_data(as_text=True)
    assert "Page 1 of 3" in first and 'href="/notifications/?page=2"' in first
    last = client.get("/notifications/?page=3").get_data(as_text=True)
    assert "Page 3 of 3" in last and last.count('class="notification unread"') == 2


# --- every notification in the reader's language (issue 15 item 9) ----------------------------

ENGLISH_WORD = re.compile(r"[A-Za-z]{3,}")
SAMPLE = {"s": "样例", "d": 3}  # what each %(name)s / %(name)d of a message is given here


def _notify_call_sites():
    """(module, line, message expression, {param: expression}, enclosing function) of every
    ``notify()``/``notify_role()`` call in the portal's code."""
    import ast
    from pathlib import Path

    import portal

    root = Path(portal.__file__).parent
    for path in sorted(root.rglob("*.py")):
        if path.parent.name == "notifications" or path.name == "reminders.py":
            continue  # the machinery itself (the reminders' texts: tests/jobs/test_translations)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        module = "portal." + ".".join(path.relative_to(root).with_suffix("").parts)
        functions = [node for node in ast.walk(tree)
                     if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)]
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in ("notify", "notify_role") and len(node.args) >= 2):
                around = next((f for f in functions
                               if f.lineno <= node.lineno <= (f.end_lineno or f.lineno)), None)
                yield (module, node.lineno, node.args[1],
                       {k.arg: k.value for k in node.keywords if k.arg}, around)


def _messages_of(module_name: str, expression, function) -> list[str]:
    """The message ids an expression passed as a notification's message can be."""
    import ast
    import importlib

    module = importlib.import_module(module_name)
    if isinstance(expression, ast.Call) and getattr(expression.func, "id", "") == "N_":
        return [ast.literal_eval(expression.args[0])]
    if isinstance(expression, ast.Subscript) and isinstance(expression.value, ast.Name):
        return list(getattr(module, expression.value.id).values())
    if isinstance(expression, ast.Name):
        if hasattr(module, expression.id):
            return [getattr(module, expression.id)]
        # a local: ``message = N_("...")`` in the same function
        found = [node.value for node in ast.walk(function) if isinstance(node, ast.Assign)
                 and any(getattr(t, "id", None) == expression.id for t in node.targets)]
        return [m for value in found for m in _messages_of(module_name, value, function)]
    raise AssertionError(f"{module_name}: cannot tell which message {ast.dump(expression)} is")


def _label_tables(module_name: str, params: dict) -> tuple[dict, list[str]]:
    """{param: the labels a ``term()`` parameter can be}, and the parameters that pass a
    label of a table (``KINDS[kind]``) rendered instead of as a ``term()``."""
    import ast
    import importlib

    module = importlib.import_module(module_name)
    terms, bare = {}, []
    for name, value in params.items():
        if (isinstance(value, ast.Call) and getattr(value.func, "id", "") == "term"
                and isinstance(value.args[0], ast.Subscript)):
            terms[name] = list(getattr(module, value.args[0].value.id).values())
        elif (isinstance(value, ast.Subscript) and isinstance(value.value, ast.Name)
              and value.value.id.isupper()):
            bare.append(name)
    return terms, bare


def test_every_notification_renders_in_chinese_without_english(app):
    """Every message any area notifies, rendered in zh_CN with its parameters (the labels of
    a ``term()`` parameter translated too), holds no English word: only the names, numbers,
    dates and codes given as parameters, which are not words of the portal."""
    from flask_babel import force_locale

    sites = list(_notify_call_sites())
    assert len(sites) >= 30  # every area notifies
    problems = []
    with app.test_request_context(), force_locale("zh_CN"):
        for module, line, expression, params, function in sites:
            terms, bare = _label_tables(module, params)
            for name in bare:
                problems.append(f"{module}:{line}: {name} passes a rendered label; use term()")
            for message in _messages_of(module, expression, function):
                names = re.findall(r"%\((\w+)\)([sd])", message)
                variants = [{}] + [{name: label} for name, labels in terms.items()
                                   for label in labels]
                for variant in variants:
                    values = {name: SAMPLE[kind] for name, kind in names}
                    values.update({name: {"msgid": label} for name, label in variant.items()})
                    text = Notification(message=message, params=values).text
                    if ENGLISH_WORD.search(text):
                        problems.append(f"{module}:{line}: {text!r}")
    assert not problems, "\n".join(problems)


def test_the_clerks_bell_after_a_cancellation_and_a_late_change_reads_chinese(
        client, sign_in, create_user, freeze):
    """The bell of issue 15 item 9: a cancellation of a printed order and an address change
    of a packed one give the clerks tasks; in Chinese their notifications read Chinese, the
    task's kind too ("从仓库取回…", "重新打单"), not "Take back the slip/parcel…"."""
    from decimal import Decimal

    from portal.orders import orders as order_svc
    from portal.orders import remarks as remark_svc
    from portal.orders.models import StockItem

    presales = create_user("presales", display_name="张小红")
    clerk = create_user("order_clerk", locale="zh_CN")
    freeze("2026-11-22 10:00")
    db.session.add(StockItem(sku="TEA-01", name="龙井茶 250g", on_hand=50))
    orders = []
    for number, stages in (("224779475489", 1), ("224779475490", 2)):
        order = order_svc.create(presales, platform="tmall", order_no=number,
                                 buyer_id="tb_buyer", receiver_name="王先生",
                                 receiver_phone="13800001111", receiver_address="杭州",
                                 payment="online", lines=[order_svc.LineInput(
                                     "TEA-01", "龙井茶 250g", 1, Decimal("88.00"))])
        order_svc.print_slips(clerk, [order])
        if stages == 2:
            order_svc.pack(clerk, order, order.version)
        orders.append(order)
    printed, packed = orders
    order_svc.request_cancel(presales, printed, printed.version, "买家不要了")
    remark_svc.add(presales, packed, packed.version, "address",
                   receiver_address="上海市徐汇区漕溪北路 88 号")
    db.session.commit()
    sign_in(client, clerk)
    page = client.get("/notifications/").get_data(as_text=True)
    for order in orders:
        line = re.search(rf"订单 {order.order_no}[^<]*", page)
        assert line, order.order_no
        assert not ENGLISH_WORD.search(line.group(0)), line.group(0)
    assert "从仓库取回" in page and "重新打单" in page
