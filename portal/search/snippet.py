"""A piece of a hit's text around what was typed, with the hits marked (``<mark>``)."""

from __future__ import annotations

from markupsafe import Markup, escape

from portal.search.tokens import normal


def _squeezed(text: str) -> tuple[str, list[int]]:
    """The text's letters and digits (normal), and for each the index it came from."""
    chars, where = [], []
    for i, ch in enumerate(text):
        for c in normal(ch):
            if c.isalnum():
                chars.append(c)
                where.append(i)
    return "".join(chars), where


def spans(text: str, terms) -> list[tuple[int, int]]:
    """Where ``terms`` are in ``text`` (start, end of the original), sorted, not overlapping."""
    squeezed, where = _squeezed(text)
    found = []
    for term in terms:
        start = squeezed.find(term)
        while start >= 0 and len(found) < 50:
            found.append((where[start], where[start + len(term) - 1] + 1))
            start = squeezed.find(term, start + len(term))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(found):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


MARKS = 3  # hits marked in one piece (a term repeated 30 times is marked 3 times)


def marked(text: str, terms, width: int = 0) -> Markup:
    """``text`` with ``terms`` marked (the first ``MARKS`` hits); with ``width``, only that
    many characters around the first hit (… where cut)."""
    text = text or ""
    found = spans(text, terms)
    start, end = 0, len(text)
    if width and len(text) > width:
        first = found[0][0] if found else 0
        start = max(0, min(first - width // 3, len(text) - width))
        end = start + width
    parts = [Markup("…") if start else Markup("")]
    at = start
    shown = [(s, e) for s, e in found if e > start and s < end][:MARKS]
    for s, e in shown:
        s, e = max(s, start), min(e, end)
        parts.append(escape(text[at:s]))
        parts.append(Markup("<mark>%s</mark>") % text[s:e])
        at = e
    parts.append(escape(text[at:end]))
    if end < len(text):
        parts.append(Markup("…"))
    return Markup("").join(parts)
