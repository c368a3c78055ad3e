"""The customer archive (issue 17): one customer per buyer of the order desk, N × 300,000,
each with a phone, a platform buyer ID, a WeChat ID for one in five and an address for one in
three; their names' grams (the search's index); and the links of the records made before:
the orders, transfers and out-of-stock waits carry their customer from the order desk's
module (buyer n is customer n + 1), the after-sales cases and return visits take their
order's here."""

from datetime import timedelta

from bench.data import Context

TABLES = ("customers", "customer_contacts", "customer_name_grams")

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华晓建国红玉兰志文斌婷"
KINDS = ("retail",) * 17 + ("distributor", "member", "prospect")
CITIES = ("浙江省杭州市西湖区文三路", "上海市浦东新区张江路", "北京市朝阳区建国路",
          "广东省广州市天河区体育西路", "江苏省南京市鼓楼区中山路", "四川省成都市武侯区人民南路")


def customer_count(ctx: Context) -> int:
    return ctx.v["customers"]


def buyer_id(n: int) -> str:
    return f"buyer{n:07d}"


def buyer_phone(n: int) -> str:
    return f"1{38 + n % 10}{n:08d}"


def name_of(n: int) -> str:
    """A believable name: a surname and one or two given characters, spread evenly."""
    given = GIVEN[(n // len(SURNAMES)) % len(GIVEN)]
    if n % 5 < 3:
        given += GIVEN[(n * 7 + 3) % len(GIVEN)]
    return SURNAMES[n % len(SURNAMES)] + given


def build(ctx: Context) -> None:
    from portal.customers.models import match_key
    from portal.customers.search import grams

    w, rng = ctx.w, ctx.rng
    total = customer_count(ctx)
    owners = ctx.by_role["presales"] + ctx.by_role["aftersales"]
    contacts: list[tuple] = []
    name_grams: list[tuple] = []

    def customers():
        for n in range(total):
            ident = n + 1
            created = ctx.utc(ctx.first_day + timedelta(days=n * 1000 // total),
                              rng.uniform(0, 1440))
            stamp = w.dt(created)
            name = name_of(n)
            phone = buyer_phone(n)
            contacts.append((len(contacts) + 1, ident, "phone", "", phone, "", phone[::-1],
                             stamp, match_key("phone", phone)))
            contacts.append((len(contacts) + 1, ident, "buyer", "tmall", buyer_id(n), "", None,
                             stamp, None))
            if n % 5 == 0:
                contacts.append((len(contacts) + 1, ident, "wechat", "", f"wx_{n:07d}", "",
                                 None, stamp, None))
            if n % 3 == 0:
                address = f"{CITIES[n % len(CITIES)]}{n % 999 + 1}号"
                contacts.append((len(contacts) + 1, ident, "address", "", address, name, None,
                                 stamp, match_key("address", address, name)))
            name_grams.extend((gram, ident) for gram in grams(name))
            yield (ident, name, KINDS[n % len(KINDS)],
                   rng.choice(owners) if n % 10 < 3 else None, "order", n % 4 == 0, "",
                   None, 0, "0.00", None, None, stamp, None, None, stamp, stamp, 1)

    ctx.add("customers", w.rows(
        "customers", ("id", "name", "kind", "owner_id", "source", "marketing_consent",
                      "need_notes", "value_class", "order_count", "order_money",
                      "last_order_at", "class_computed_at", "last_contact_at",
                      "merged_into_id", "anonymised_at", "created_at", "updated_at",
                      "version"), customers()))
    ctx.add("customer_contacts", w.rows(
        "customer_contacts", ("id", "customer_id", "kind", "platform", "value", "label", "tail",
                              "created_at", "match_key"), contacts))
    contacts.clear()
    w.rows("customer_name_grams", ("gram", "customer_id"), name_grams)
    name_grams.clear()
    # the cases and their return visits take their order's customer
    w.execute("UPDATE aftersales_cases SET customer_id = (SELECT o.customer_id FROM orders o "
              "WHERE o.id = aftersales_cases.order_id) WHERE order_id IS NOT NULL")
    w.execute("UPDATE aftersales_visits SET customer_id = (SELECT c.customer_id FROM "
              "aftersales_cases c WHERE c.id = aftersales_visits.case_id)")
    # a showroom visitor who gave a phone is a customer (the portal attaches one when the
    # visit is logged): each such visit gets a customer's phone and the customer. Without
    # this the run's first serve or departure of a visit made the customer then (+5 queries).
    if w.sqlite:
        n = f"(id * 7919 % {total})"
        phone = f"'1' || (38 + {n} % 10) || printf('%08d', {n})"
    else:
        n = f"mod(id::bigint * 7919, {total})"  # 300,000 × 7919 passes an integer
        phone = f"'1' || (38 + mod({n}, 10))::text || lpad(({n})::text, 8, '0')"
    w.execute(f"UPDATE visits SET customer_id = {n} + 1, phone = {phone} "  # noqa: S608 - ours
              "WHERE phone IS NOT NULL")


def count_duplicates(ctx: Context) -> None:
    """Store the duplicate pairs' count, as the worker's task does (``AFTER_LOAD``)."""
    from portal.customers.merge import recount
    from portal.extensions import db

    ctx.counts["duplicate_pairs"] = recount()
    db.session.commit()
