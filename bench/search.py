"""Time the one search (issue 18 item 6) at 50,000 articles, 1,000,000 work lines and
1,000,000 handover items (scale 1), in a database of its own, on SQLite or PostgreSQL:

    .venv/bin/python -m bench.search --db sqlite:////tmp/search_bench.sqlite3 --scale 0.01
    .venv/bin/python -m bench.search \\
        --db postgresql+psycopg://postgres@127.0.0.1:5432/search_bench --scale 0.01

The index rows are generated straight into ``search_docs`` (COPY on PostgreSQL, executemany
and an FTS5 'rebuild' on SQLite), oldest first, with the app's own tokens; texts are made of
department phrases (common pairs like 退货 in a third of the rows), rare words, SKUs and order
numbers. Then ~200 queries of 1, 2, 3 and 5 characters, common and rare, SKUs, order numbers
and hostile input run through ``portal.search.engine`` as the search page (a supervisor and
an agent), the suggestions and the handover history ask them; p50/p95 per kind of query.
``--keep`` reuses a database already filled at that scale.
"""

from __future__ import annotations

import argparse
import io
import random
import re
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

FULL = {"article": 50_000, "workline": 1_000_000, "handover": 1_000_000}
AGENTS = 50

PHRASES = (
    "客人问", "客人要求退货", "七天无理由退货", "退款多久到账", "发票怎么开", "开增值税发票",
    "物流一直没更新", "快递破损", "补发配件", "沙发颜色和图片不一样", "安装师傅什么时候上门",
    "尺寸可以定做吗", "茶几玻璃有划痕", "已经跟仓库确认", "明天早上回电话", "运费谁承担",
    "客人很着急", "已报主管", "换货流程", "地址写错了要改", "展厅有样品", "优惠券用不了",
    "价格保护", "床垫有异味", "餐桌腿不稳", "已经拍照留证", "等待厂家回复", "客人满意",
    "催发货", "预售什么时候发", "赠品没收到", "退货地址", "质检报告", "保修一年",
)
RARE = ("紫檀茶桌", "榫卯结构", "鎏金把手", "藤编摇椅", "黑胡桃木")
SKU_LETTERS = ("HX", "SF", "CZ", "YG", "TB", "DK")


def _sku(rng: random.Random) -> str:
    return f"{rng.choice(SKU_LETTERS)}-{rng.randint(1000, 9999)}"


def _order(n: int) -> str:
    return f"TB{20230101000000 + n * 7919:016d}"


def _text(rng: random.Random, parts: int) -> str:
    text = "，".join(rng.choice(PHRASES) for _ in range(parts))
    if rng.random() < 0.0005:
        text += "，" + rng.choice(RARE)
    return text


def _docs(scale: float, seed: int = 7):
    """(kind, ref_id, ref, at, title, body, summary, keys) oldest first."""
    rng = random.Random(seed)
    counts = {kind: max(20, int(n * scale)) for kind, n in FULL.items()}
    total = sum(counts.values())
    start = datetime(2024, 1, 1, tzinfo=UTC)
    step = timedelta(days=3 * 365) / total
    made = dict.fromkeys(counts, 0)
    weights = [counts[k] for k in counts]
    kinds = list(counts)
    for n in range(total):
        kind = rng.choices(kinds, weights)[0]
        if made[kind] >= counts[kind]:
            kind = next(k for k in kinds if made[k] < counts[k])
        made[kind] += 1
        at = start + step * n
        ref_id = made[kind]
        if kind == "article":
            sku = _sku(rng)
            title = _text(rng, 1) + "？"
            body = f"{_text(rng, 2)}。{sku}"
            keys = (("article_published",) if rng.random() < 0.9
                    else ("article_editing", f"article_author_{rng.randint(1, AGENTS)}"))
            yield kind, ref_id, "", at, title, body, _text(rng, 2)[:150], keys
        elif kind == "workline":
            user = rng.randint(1, AGENTS)
            title = _text(rng, 2)
            body = _text(rng, 2) + (f" {_sku(rng)}" if rng.random() < 0.3 else "")
            yield (kind, ref_id, f"{user}:{at.date()}", at, title, body, "",
                   ("worklog_all", f"worklog_user_{user}"))
        else:
            book = "desk" if rng.random() < 0.7 else "showroom"
            text = _text(rng, 3)
            body = text + (f"\n{_order(n)}" if rng.random() < 0.5 else "") \
                + (f" {_sku(rng)}" if rng.random() < 0.3 else "")
            yield kind, ref_id, book, at, text[:120], body, "", (f"handover_{book}",)


def _prepare(url: str, keep: bool) -> None:
    if not url.startswith("postgresql"):
        if not keep:
            import os

            path = sa.make_url(url).database
            for suffix in ("", "-wal", "-shm"):
                if path and os.path.exists(path + suffix):
                    os.remove(path + suffix)
        return
    target = sa.make_url(url)
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"),
                             {"n": target.database})
        if exists and not keep:
            conn.exec_driver_sql(f'DROP DATABASE "{target.database}" WITH (FORCE)')
            exists = False
        if not exists:
            conn.exec_driver_sql(f'CREATE DATABASE "{target.database}"')
    admin.dispose()


_PIECES: dict[str, frozenset] = {}
PIECE = re.compile(r"[，。？\n ]")


def _tokens_of(text: str) -> set[str]:
    """``text_tokens(text)`` for the generated texts, from their pieces (memoised): the
    pieces are split by characters that end every run, so the union is the same set."""
    from portal.search.tokens import text_tokens

    found: set[str] = set()
    for piece in PIECE.split(text):
        if piece not in _PIECES:
            if len(_PIECES) > 200_000:
                _PIECES.clear()
            _PIECES[piece] = frozenset(text_tokens(piece))
        found |= _PIECES[piece]
    return found


def _row(kind, ref_id, ref, at, title, body, summary, keys) -> dict:
    """What ``portal.search.index.values`` writes, faster (same tokens, checked on a sample)."""
    from portal.search.tokens import key

    in_title = _tokens_of(title)
    tokens = in_title | _tokens_of(body) | {"_" + t for t in in_title} | {key(k) for k in keys}
    return {"kind": kind, "ref_id": ref_id, "ref": ref, "at": at, "title": title,
            "body": body, "summary": summary, "tokens": " ".join(sorted(tokens))}


def _load(db, scale: float) -> int:
    from portal.search import Doc, sources
    from portal.search.index import values
    from portal.search.models import create_fts, search_docs

    engine = db.engine
    chosen = sources()
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA journal_mode=WAL")
        search_docs.drop(conn, checkfirst=True)
        search_docs.create(conn)
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("DROP INDEX ix_search_docs_tsv")
        else:
            conn.exec_driver_sql("DROP TRIGGER search_docs_ai")
    written, batch = 0, []
    started = time.perf_counter()

    def flush(rows):
        if not rows:
            return
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                buffer = io.StringIO()
                for i, row in rows:
                    tsv = " ".join(f"'{t}'" for t in row["tokens"].split(" ") if t)
                    fields = (str(i), row["kind"], str(row["ref_id"]), row["ref"],
                              row["at"].isoformat(), row["title"], row["body"], row["summary"],
                              row["tokens"], tsv)
                    buffer.write("\t".join(f.replace("\\", "\\\\").replace("\t", " ")
                                           .replace("\n", "\\n") for f in fields) + "\n")
                buffer.seek(0)
                raw = conn.connection.driver_connection
                with raw.cursor() as cursor, cursor.copy(
                        "COPY search_docs (id, kind, ref_id, ref, at, title, body, summary, "
                        "tokens, tsv) FROM STDIN") as copy:
                    copy.write(buffer.getvalue())
            else:
                conn.execute(search_docs.insert(), [dict(row, id=i) for i, row in rows])

    for n, (kind, ref_id, ref, at, title, body, summary, keys) in enumerate(_docs(scale), 1):
        row = _row(kind, ref_id, ref, at, title, body, summary, keys)
        if n % 50_000 == 1:  # the fast path writes what the app writes
            assert row == values(chosen[kind], ref_id,
                                 Doc(title, body, at, keys, ref=ref, summary=summary)), n
        batch.append((n, row))
        if len(batch) >= 20_000:
            flush(batch)
            written += len(batch)
            batch = []
            print(f"  {written:,} rows, {time.perf_counter() - started:.0f} s", file=sys.stderr)
    flush(batch)
    written += len(batch)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET maintenance_work_mem = '512MB'")
            conn.exec_driver_sql("CREATE INDEX ix_search_docs_tsv ON search_docs USING gin (tsv)")
            conn.exec_driver_sql("SELECT setval('search_docs_id_seq', (SELECT max(id) "
                                 "FROM search_docs))")
        else:
            conn.exec_driver_sql("INSERT INTO search_fts(search_fts) VALUES ('rebuild')")
            conn.exec_driver_sql("INSERT INTO search_fts(search_fts) VALUES ('optimize')")
            create_fts(conn)  # the insert trigger again
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE" if conn.dialect.name == "sqlite"
                             else "VACUUM ANALYZE search_docs")
    print(f"loaded {written:,} rows in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return written


def _queries(db) -> dict[str, list[str]]:
    """The kinds of query, ~200 in all, taken from the generated data where they must be."""
    from portal.search.models import search_docs

    top = db.session.scalar(sa.select(sa.func.max(search_docs.c.id))) or 1
    bodies = [db.session.scalar(sa.select(search_docs.c.body).where(
        search_docs.c.id == 1 + (top - 1) * i // 24)) or "" for i in range(25)]
    skus = [m.group(0) for b in bodies for m in re.finditer(r"[A-Z]{2}-\d{4}", b)][:15]
    orders = [m.group(0) for b in bodies for m in re.finditer(r"TB\d{16}", b)][:15]
    return {
        "1 char, common (退)": ["退", "货", "客", "发", "款"] * 4,
        "1 char, rare (檀)": ["檀", "鎏", "榫", "藤", "胡"] * 4,
        "2 chars, common (退货)": ["退货", "客人", "发票", "物流", "安装"] * 4,
        "2 chars, rare (紫檀)": ["紫檀", "鎏金", "榫卯", "藤编", "胡桃"] * 4,
        "3 chars (无理由)": ["无理由", "增值税", "没收到", "有异味", "退货地"] * 4,
        "5 chars (七天无理由)": ["七天无理由", "沙发颜色和", "安装师傅什", "黑胡桃木",
                             "物流一直没"] * 4,
        "missing (飞机场)": ["飞机场", "航天飞船", "zzq", "火锅店"] * 5,
        "SKU whole / beginning": (skus + [s[:5] for s in skus])[:20],
        "order number whole / beginning": (orders + [o[:12] for o in orders])[:20],
        "mixed (退货 HX-23)": ["退货 HX-23", "发票 TB2023", "客人 SF", "沙发CZ-1", "退款YG"] * 4,
        "hostile": ["退" * 10_000, 'OR NEAR("退', '%_*"\'', "😀退货😀", "a" * 500] * 4,
    }


def _time(call) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--scale", type=float, default=0.01)
    parser.add_argument("--keep", action="store_true", help="reuse the loaded database")
    args = parser.parse_args(argv)
    _prepare(args.db, args.keep)

    from portal import create_app
    from portal.extensions import db
    from portal.search import engine

    app = create_app({"SQLALCHEMY_DATABASE_URI": args.db, "SECRET_KEY": "b" * 40})
    with app.app_context():
        if not args.keep:
            _load(db, args.scale)
        supervisor = ["__article_published", "__article_editing", "__worklog_all",
                      "__complaints", "__handover_desk", "__handover_showroom"]
        agent = ["__article_published", "__article_author_7", "__worklog_user_7",
                 "__complaints", "__handover_desk"]
        uses = {
            "page, supervisor": lambda q: engine.ask(q, supervisor, limit=30),
            "page, agent": lambda q: engine.ask(q, agent, limit=30),
            # as the suggestions view asks: the end of what is typed, its last 4 and 2
            "suggest": lambda q: engine.ask_first([q[-12:], q[-4:], q[-2:]],
                                                  ["__article_published"], limit=5),
            "handover history": lambda q: engine.ref_ids("handover", q, ["handover_desk"],
                                                         limit=300),
        }
        queries = _queries(db)
        for q in [q for group in queries.values() for q in group][:40]:
            uses["page, supervisor"](q)  # warm the caches
        db.session.rollback()
        everything = []
        print(f"{args.db.split('://')[0]} scale {args.scale}: p50 / p95 / max ms")
        for kind, group in queries.items():
            line = []
            for use, call in uses.items():
                times = []
                for q in group:
                    times.append(_time(lambda q=q, call=call: call(q)))
                    db.session.rollback()
                everything.extend(times)
                times.sort()
                p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
                line.append(f"{use}: {statistics.median(times):.1f}/{p95:.1f}/{times[-1]:.0f}")
            print(f"  {kind:32} " + " | ".join(line))
        everything.sort()
        print(f"all {len(everything)} timings: p50 {statistics.median(everything):.1f} ms, "
              f"p95 {everything[int(len(everything) * 0.95)]:.1f} ms, "
              f"max {everything[-1]:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
