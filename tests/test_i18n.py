"""The catalogues are complete, keep their placeholders, and are the ones the app serves.

The messages are extracted from the source here, in-process, the way
``make extract-messages`` does it (babel.cfg, keywords ``_l`` and ``N_``), so a text added
to the code but not to the catalogues fails this test, naming the text.
"""

import os
import re
from functools import cache
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask import session
from flask_babel import get_babel, get_locale, get_translations

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "portal" / "translations"
LOCALES = ("zh_CN", "zh_TW", "en")
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "N_": None}
EXTRACTORS = {"jinja2": "jinja2.ext:babel_extract", "python": "python"}

# %(name)s, %(count)d, %(price).2f ... and bare %s / %d
PLACEHOLDER = re.compile(r"%(?:\([^)]+\))?[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")


def _method_map() -> tuple[list[tuple[str, str]], dict[str, dict[str, str]]]:
    """babel.cfg's [method: pattern] sections, with the jinja2 extractor named explicitly."""
    method_map, options_map = [], {}
    section = None
    for raw in (ROOT / "babel.cfg").read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.fullmatch(r"\[\s*([^:\]]+?)\s*:\s*(.+?)\s*\]", line)
        if match:
            method, pattern = match.groups()
            section = pattern
            method_map.append((pattern, EXTRACTORS.get(method, method)))
            options_map[pattern] = {}
        elif section is not None and "=" in line:
            key, value = (part.strip() for part in line.split("=", 1))
            options_map[section][key] = value
    assert method_map, "babel.cfg maps no files"
    return method_map, options_map


@cache
def extracted() -> dict[tuple[str, str | None], dict]:
    """{(msgid, context): {"plural": msgid_plural or None, "where": [file:line, ...]}}.

    Like ``make extract-messages``, this skips folders whose names begin with "." (and so
    reads templates/_macros/), so what it finds is what the catalogues get.
    """
    method_map, options_map = _method_map()
    messages: dict[tuple[str, str | None], dict] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS,
        directory_filter=lambda path: not Path(path).name.startswith("."),
    ):
        msgid, plural = (message, None) if isinstance(message, str) else message[:2]
        if not msgid:
            continue
        entry = messages.setdefault((msgid, context), {"plural": plural, "where": []})
        entry["where"].append(f"{filename}:{lineno}")
    return messages


def catalogue_dir(locale: str) -> Path:
    """The locale's LC_MESSAGES folder: named as the portal names the locale (zh_CN), or
    as Babel does (zh_Hans_CN), which is the name Flask-Babel looks for."""
    candidates = [TRANSLATIONS / name / "LC_MESSAGES" for name in (
        locale, str(Locale.parse(locale)))]
    return next((path for path in candidates if path.is_dir()), candidates[0])


@cache
def catalogue(locale: str):
    with (catalogue_dir(locale) / "messages.po").open("rb") as f:
        return read_po(f, locale=locale)


def _strings(message) -> list[str]:
    return list(message.string) if isinstance(message.string, (list, tuple)) else [message.string]


def _describe(msgid, context, entry) -> str:
    where = ", ".join(entry["where"][:3])
    ctx = f" (context {context!r})" if context else ""
    return f"  {msgid!r}{ctx}  [{where}]"


def test_source_has_messages():
    found = extracted()
    assert len(found) > 50, f"only {len(found)} messages extracted; is babel.cfg read right?"
    # a template string and a Python string, so both extractors are known to work
    assert ("Sign in", None) in found
    assert ("Staff accounts", None) in found


@pytest.mark.parametrize("locale", LOCALES)
def test_every_message_is_translated(locale):
    cat = catalogue(locale)
    assert not cat.fuzzy, f"the {locale} catalogue header is marked fuzzy"
    problems = {"missing from": [], "empty in": [], "fuzzy in": []}
    for (msgid, context), entry in sorted(extracted().items(), key=lambda item: item[0][0]):
        message = cat.get(msgid, context)
        line = _describe(msgid, context, entry)
        if message is None:
            problems["missing from"].append(line)
            continue
        if not all(s and s.strip() for s in _strings(message)):
            problems["empty in"].append(line)
        if message.fuzzy:
            problems["fuzzy in"].append(line)
    report = [
        f"{len(lines)} message(s) {kind} the {locale} catalogue:\n" + "\n".join(lines)
        for kind, lines in problems.items() if lines
    ]
    assert not report, (
        "\n".join(report) + "\nRun `make extract-messages` and translate them."
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_placeholders_survive_translation(locale):
    cat = catalogue(locale)
    problems = []
    for (msgid, context), entry in sorted(extracted().items(), key=lambda item: item[0][0]):
        message = cat.get(msgid, context)
        if message is None:
            continue  # reported by test_every_message_is_translated
        sources = [msgid] if entry["plural"] is None else [msgid, entry["plural"]]
        wanted = set().union(*(PLACEHOLDER.findall(s) for s in sources))
        for string in _strings(message):
            if not string:
                continue
            have = set(PLACEHOLDER.findall(string))
            lost, added = wanted - have, have - wanted
            if lost or added:
                problems.append(
                    f"  {msgid!r} -> {string!r}: "
                    + "; ".join(filter(None, [
                        lost and f"lost {sorted(lost)}", added and f"added {sorted(added)}"]))
                )
    assert not problems, f"placeholders differ in the {locale} catalogue:\n" + "\n".join(problems)


CJK = "\u3000-\u303f\u3400-\u9fff\uff00-\uffef"
# an ASCII , : ; ? ! or a bracket (not a %(placeholder)'s) next to a Chinese character
ASCII_NEXT_TO_CJK = re.compile(
    rf"[{CJK}] ?[,:;?!()]|[,:;?!] ?[{CJK}]|(?<!%)\( ?[{CJK}]|[{CJK}] ?\)")


@pytest.mark.parametrize("locale", ("zh_CN", "zh_TW"))
def test_chinese_uses_full_width_punctuation(locale):
    """，：；？！（） in Chinese text, never ASCII , : ; ? ! ( ) beside Chinese characters."""
    problems = [f"  {message.id!r} -> {string!r}"
                for message in catalogue(locale) if message.id
                for string in _strings(message) if ASCII_NEXT_TO_CJK.search(string or "")]
    assert not problems, f"ASCII punctuation in {locale}:\n" + "\n".join(problems)


@pytest.mark.parametrize("locale", LOCALES)
def test_every_translation_formats(locale):
    """Templates format every message (Jinja's new-style gettext applies ``%`` even without
    parameters), so a bare ``%`` in a translation is a 500 on the page that shows it."""
    cat = catalogue(locale)
    problems = []
    for message in cat:
        if not message.id:
            continue
        for string in _strings(message):
            names = re.findall(r"%\(([^)]+)\)", string)
            try:
                string % {name: 1 for name in names} if names else string % {}
            except (ValueError, TypeError, KeyError) as error:
                problems.append(f"  {message.id!r} -> {string!r}: {error}")
    assert not problems, f"{locale} messages that cannot be formatted:\n" + "\n".join(problems)


def test_english_catalogue_is_the_source_text():
    cat = catalogue("en")
    differing = [
        f"  {msgid!r} -> {message.string!r}"
        for (msgid, context) in extracted()
        if (message := cat.get(msgid, context)) is not None
        and isinstance(message.string, str) and message.string and message.string != msgid
    ]
    assert not differing, "English translations differ from the source text:\n" + "\n".join(
        differing)


@pytest.mark.parametrize("locale", LOCALES)
def test_compiled_catalogue_is_current(locale):
    mo_path = catalogue_dir(locale) / "messages.mo"
    assert mo_path.exists(), f"{mo_path.relative_to(ROOT)} missing: run `make translations`"
    with mo_path.open("rb") as f:
        compiled = read_mo(f)
    stale = []
    for message in catalogue(locale):
        if not message.id or message.fuzzy:
            continue
        built = compiled.get(message.id, message.context)
        if built is None or _strings(built) != _strings(message):
            stale.append(f"  {message.id!r}")
    assert not stale, (
        f"{mo_path.relative_to(ROOT)} does not match messages.po (run `make translations`):\n"
        + "\n".join(stale[:20])
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_the_app_loads_each_catalogue(app, locale):
    expected = catalogue(locale).get("Sign in").string
    with app.test_request_context("/login"):
        session["locale"] = locale
        babel = get_babel()
        found = get_translations().gettext("Sign in")
        looked_up = str(get_locale())
        directories = [os.path.relpath(d, ROOT) for d in babel.translation_directories]
    assert found == expected, (
        f"the app does not load the {locale} catalogue: for the locale {locale!r} "
        f"Flask-Babel looks for {looked_up}/LC_MESSAGES/messages.mo in {directories}, "
        f"and 'Sign in' came out as {found!r}, not {expected!r}"
    )


def _login_page(client) -> str:
    response = client.get("/login")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _switch(client, locale: str) -> None:
    response = client.post("/language", data={"locale": locale, "next": "/login"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/login")


def test_pages_are_served_in_the_chosen_language(client):
    page = _login_page(client)  # no choice yet: the default, Simplified Chinese
    assert "<h1>登录</h1>" in page, "the default zh_CN page is not in Simplified Chinese"
    assert "Sign in" not in page

    _switch(client, "en")
    page = _login_page(client)
    assert "<h1>Sign in</h1>" in page
    assert "登录" not in page

    _switch(client, "zh_TW")
    page = _login_page(client)
    assert "<h1>登入</h1>" in page, "the zh_TW page is not in Traditional Chinese"
    assert "Sign in" not in page and "登录" not in page

    _switch(client, "zh_CN")
    assert "<h1>登录</h1>" in _login_page(client)


@pytest.mark.parametrize(("locale", "lang", "button"), [
    ("zh_CN", "zh-Hans", "简体中文"), ("zh_TW", "zh-Hant", "繁體中文"), ("en", "en", "English")],
    ids=LOCALES)
def test_page_markup_names_the_chosen_language(client, locale, lang, button):
    _switch(client, locale)
    page = _login_page(client)
    assert f'<html lang="{lang}">' in page
    current = re.search(r'<button[^>]*aria-current="true"[^>]*>([^<]*)</button>', page)
    assert current and current.group(1) == button, "the language switch marks the wrong language"
