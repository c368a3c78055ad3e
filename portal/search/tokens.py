"""Text to search tokens, the same on SQLite and PostgreSQL (docs/search.md).

Chinese has no spaces and most words are two characters, so a run of CJK characters is
indexed as its single characters and its pairs of characters; a run of Latin letters and
digits (an SKU, an order number, a word) as its beginnings of 2 to ``PREFIX_MAX``
characters and itself, and a compound like ``AB-1234`` also as ``ab1234``. Every token is
plain (letters and digits, case-folded, NFKC); the engine's own syntax never sees the
user's text. The title's tokens are indexed once more with a leading ``_`` (title hits
rank first) and who may see a record is indexed as tokens starting with ``__``: no token of
text can look like either.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

PREFIX_MAX = 12  # a Latin/digit word's beginnings are indexed up to this length
TOKEN_MAX = 40  # longer words are cut (an engine limit, and nobody types them)
BODY_MAX = 20_000  # characters of a record's text indexed
QUERY_MAX = 200  # characters of a query read
PAIRS_MAX = 8  # pairs of characters of one Chinese run asked (the rest is checked)
TERMS_MAX = 6  # terms of a query asked
JOINERS = frozenset("-_./#")  # inside a compound: AB-1234, 2026/12/06, v1.2


def _cjk(ch: str) -> bool:
    code = ord(ch)
    return (0x3400 <= code <= 0x9FFF or 0xF900 <= code <= 0xFAFF or 0x20000 <= code <= 0x3134F
            or 0x3040 <= code <= 0x30FF or 0xAC00 <= code <= 0xD7AF)


def _word(ch: str) -> bool:
    return ch.isalnum() and not _cjk(ch)


def normal(text: str | None) -> str:
    """NFKC (full-width letters and digits become plain ones), case-folded."""
    return unicodedata.normalize("NFKC", text or "").casefold()


def runs(text: str | None) -> list[tuple[str, str]]:
    """The runs of ``text``: ("cjk", "退货") and ("word", "ab1234"), in order. A compound
    (letters and digits joined by - _ . / #) is one run without its joiners."""
    found: list[tuple[str, str]] = []
    kind, current = "", []
    text = normal(text)
    for i, ch in enumerate(text):
        if _cjk(ch):
            this = "cjk"
        elif _word(ch):
            this = "word"
        elif (ch in JOINERS and kind == "word" and i + 1 < len(text) and _word(text[i + 1])):
            continue  # a joiner inside a compound
        else:
            this = ""
        if this != kind and current:
            found.append((kind, "".join(current)))
            current = []
        kind = this
        if this:
            current.append(ch)
    if current and kind:
        found.append((kind, "".join(current)))
    return found


def _word_parts(text: str) -> list[str]:
    """A compound's words: ``AB-1234`` → ab, 1234 (the compound itself is a run)."""
    parts, current = [], []
    for ch in normal(text):
        if _word(ch) and not _cjk(ch):
            current.append(ch)
        elif current:
            parts.append("".join(current))
            current = []
    if current:
        parts.append("".join(current))
    return parts


def _word_tokens(word: str) -> set[str]:
    word = word[:TOKEN_MAX]
    found = {word[:n] for n in range(2, min(len(word), PREFIX_MAX) + 1)}
    found.add(word)
    return found


def text_tokens(text: str | None) -> set[str]:
    """The tokens ``text`` is found by."""
    text = (text or "")[:BODY_MAX]
    found: set[str] = set()
    for kind, run in runs(text):
        if kind == "cjk":
            found.update(run)
            found.update(run[i:i + 2] for i in range(len(run) - 1))
        else:
            found |= _word_tokens(run)
    # the words of compounds on their own: "ab-1234" is found by "1234" too
    for word in _word_parts(text):
        found |= _word_tokens(word)
    return found


def doc_tokens(title: str | None, body: str | None, keys) -> list[str]:
    """A record's tokens: its text's, its title's marked with ``_``, and its keys (who may
    see it, already ``__``-marked)."""
    in_title = text_tokens(title)
    found = in_title | text_tokens(body)
    found |= {"_" + token for token in in_title}
    found |= set(keys)
    return sorted(found)


def key(name: str) -> str:
    """The token of a visibility key (``article_published`` → ``__article_published``)."""
    return "__" + "".join(c if c.isascii() and (c.isalnum() or c == "_") else "_"
                          for c in name.lower())


NOT_ALNUM = re.compile(r"[\W_]+")


def squeeze(text: str | None) -> str:
    """What hits are checked against: the text's letters and digits only, normal."""
    return NOT_ALNUM.sub("", normal(text))


@dataclass(frozen=True)
class Query:
    """What was typed, as the tokens to ask (all of them) and the terms a hit must hold."""

    tokens: tuple[str, ...]
    terms: tuple[str, ...]
    exact: bool = True  # every term is one token: a hit of the tokens holds the terms

    def __bool__(self) -> bool:
        return bool(self.tokens)

    def holds(self, *texts: str | None) -> bool:
        """True when the texts hold every term (the tokens found candidates only)."""
        if self.exact:
            return True
        text = squeeze(" ".join(t or "" for t in texts))
        return all(term in text for term in self.terms)


def _spread(items: list[str], most: int) -> list[str]:
    if len(items) <= most:
        return items
    step = (len(items) - 1) / (most - 1)
    return [items[round(i * step)] for i in range(most)]


def parse(text: str | None) -> Query:
    """The query for ``text``: any length, any characters (only letters, digits and CJK
    characters make tokens)."""
    text = (text or "")[:QUERY_MAX]
    tokens: list[str] = []
    terms: list[str] = []
    exact = True
    for kind, run in runs(text)[:TERMS_MAX]:
        exact = exact and len(run) <= (2 if kind == "cjk" else PREFIX_MAX)
        if kind == "cjk":
            pairs = list(dict.fromkeys(run[i:i + 2] for i in range(len(run) - 1)))
            tokens.extend(_spread(pairs, PAIRS_MAX) if pairs else [run])
        else:
            word = run[:TOKEN_MAX]
            tokens.append(word if len(word) <= PREFIX_MAX else word[:PREFIX_MAX])
            if len(word) == 1:
                tokens[-1] = word  # a single letter or digit: asked as the word itself
        terms.append(run)
    return Query(tuple(dict.fromkeys(tokens)), tuple(dict.fromkeys(terms)), exact)
