"""The demo complaints go into the categories the migration puts in, not a second look-alike
set ("产品质量" beside "产品质量问题" split the monthly analysis in two)."""

import re
from pathlib import Path

import sqlalchemy as sa

from portal.complaints import demo
from portal.complaints.models import ComplaintCategory
from portal.extensions import db

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations" / "versions"


def _migration_names() -> list[str]:
    for path in MIGRATIONS.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        if "op.bulk_insert(categories" in text:
            block = text.split("op.bulk_insert(categories", 1)[1].split("], start=1)", 1)[0]
            return re.findall(r"\('([^']+)', '[^']+', '[^']+'\)", block)
    raise AssertionError("no migration puts in the complaint categories")


def test_demo_categories_are_the_migrations(app):
    names = _migration_names()
    assert len(names) == 6
    db.session.add_all(ComplaintCategory(name=name, position=n) for n, name in enumerate(names))
    db.session.flush()
    demo._categories()
    assert sorted(db.session.scalars(sa.select(ComplaintCategory.name))) == sorted(names)
    assert {category for _, _, _, category, *_ in demo.COMPLAINTS} <= set(names)
    assert set(demo.ANSWERS) <= set(names)
