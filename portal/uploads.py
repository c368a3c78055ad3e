"""What every upload's file name goes through before it is kept or shown (issue 16 item 8).

One place for the evidence photos and the order imports: a name typed by a browser can carry
controls (a NUL fails on PostgreSQL), format characters (a right-to-left override makes
"gpj.exe" read "exe.jpg"; zero-width spaces), surrogates and line separators.
"""

import unicodedata

NAME_MAX = 200  # the columns that keep an uploaded name
_UNSHOWN = frozenset(("Cc", "Cf", "Cs", "Zl", "Zp"))


def clean_name(name: str | None, limit: int = NAME_MAX) -> str:
    """An uploaded file's name as it is kept and shown: its last path part, NFC, without the
    characters above, spaces collapsed and trimmed, at most ``limit`` characters ("" when
    nothing is left)."""
    base = unicodedata.normalize("NFC", (name or "").replace("\\", "/")).rsplit("/", 1)[-1]
    kept = "".join(c for c in base if unicodedata.category(c) not in _UNSHOWN)
    return " ".join(kept.split())[:limit].strip()
