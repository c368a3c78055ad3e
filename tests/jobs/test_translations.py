"""Reminders are stored untranslated and shown in the reader's language; every text they
use has its Chinese in the catalogues (each catalogue is complete: tests/test_i18n.py)."""

import re
from pathlib import Path

from babel.messages.pofile import read_po

from portal.extensions import db
from portal.handover import services as handover

ROOT = Path(__file__).resolve().parents[2]


def _msgids_of_jobs() -> set[str]:
    ids = set()
    for path in (ROOT / "portal" / "jobs").glob("*.py"):
        for call in re.findall(r'N_\((\s*(?:"[^"]*"\s*)+)\)', path.read_text(encoding="utf-8")):
            ids.add("".join(re.findall(r'"([^"]*)"', call)))
    return ids


def test_every_reminder_text_has_its_chinese():
    catalogue = read_po((ROOT / "portal/translations/zh_Hans_CN/LC_MESSAGES/messages.po")
                        .open("rb"))
    ids = _msgids_of_jobs()
    assert len(ids) > 20
    missing = [i for i in ids if not (i in catalogue and catalogue[i].string)]
    assert missing == []
    for msgid in ids:
        assert set(re.findall(r"%\(\w+\)s", msgid)) == \
            set(re.findall(r"%\(\w+\)s", catalogue[msgid].string)), msgid


def test_a_reminder_shows_in_the_readers_language(run_jobs, notes, shown, supervisor,
                                                  create_user, shift_types, freeze):
    writer = create_user("presales")
    freeze("2026-11-22 10:00")
    handover.write(writer, "desk", category="other", text="客户要回电")
    db.session.commit()
    run_jobs("2026-11-22 16:29")
    run_jobs("2026-11-22 16:30")
    [note] = notes(supervisor)
    assert "Desk handover book" in shown(note, "en")
    chinese = shown(note, "zh_CN")
    assert "Desk handover book" not in chinese  # the book's name is the reader's
    assert re.search(r"[\u4e00-\u9fff]{2,}交接", chinese), chinese
