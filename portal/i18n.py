"""Languages: the locale of each request, the language switch, and message markers.

``N_()`` marks a string for the catalogues without translating it now; it is used for
texts stored and translated later (notification messages, audit action labels).
"""

from flask import current_app, session
from flask_login import current_user

LANGUAGE_NAMES = {"zh_CN": "简体中文", "zh_TW": "繁體中文", "en": "English"}


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext marker name
    """Mark ``message`` for extraction; translate it where it is shown."""
    return message


def select_locale() -> str:
    """The signed-in user's choice, else the session's, else the browser's, else zh_CN."""
    supported = current_app.config["PORTAL_LOCALES"]
    if current_user and current_user.is_authenticated and current_user.locale in supported:
        return current_user.locale
    chosen = session.get("locale")
    if chosen in supported:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def portal_locale(locale) -> str:
    """The portal's code (zh_CN, zh_TW, en) for a Babel locale (zh_Hans_CN, ...).

    Babel expands zh_CN to zh_Hans_CN; the catalogues are stored under Babel's names.
    """
    if locale is None:
        return "zh_CN"
    if locale.language == "zh":
        return "zh_TW" if locale.script == "Hant" or locale.territory in {"TW", "HK"} else "zh_CN"
    return locale.language


def html_lang(locale: str) -> str:
    """BCP 47 tag for <html lang>."""
    return {"zh_CN": "zh-Hans", "zh_TW": "zh-Hant", "en": "en"}.get(locale, "zh-Hans")


def is_supported(locale: str | None) -> bool:
    """True when ``locale`` is one the portal speaks."""
    return locale in current_app.config["PORTAL_LOCALES"]


def safe_next(target: str | None, fallback: str) -> str:
    """A same-site path to return to, never an outside address."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return fallback



def localized(names: dict | None, fallback: str, locale: str | None = None) -> str:
    """Data with a visible name (a shift type, a catalogue or menu item) in the reader's
    language: ``names`` holds ``{"zh_CN": …, "zh_TW": …, "en": …}`` as the supervisor typed
    them; a language left empty shows ``fallback`` (the record's own name)."""
    if not names:
        return fallback
    if locale is None:
        from flask import has_request_context
        from flask_babel import get_locale

        locale = portal_locale(get_locale()) if has_request_context() else "zh_CN"
    return (names.get(locale) or "").strip() or fallback
