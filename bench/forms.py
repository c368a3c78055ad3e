"""Forms as a browser sends them, for the load (``bench/locustfile.py``): a step reads the
form a page rendered and fills the fields it knows by a word of their names, so it survives
renamed or added fields."""

import html
import re

FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S)
FIELD = re.compile(r"<input\b([^>]*)>|<(select|textarea)\b([^>]*)>(.*?)</\2>", re.S)
OPTION = re.compile(r"<option\b([^>]*)>", re.S)
SKIPPED = ("submit", "button", "file", "reset", "image")


def _attr(tag: str, name: str) -> str | None:
    match = re.search(r"(?:^|\s)" + name + r"=\"([^\"]*)\"", tag)
    return html.unescape(match.group(1)) if match else None


def _flag(tag: str, name: str) -> bool:
    return re.search(r"(?:^|\s)" + name + r"(?:[\s=/]|$)", tag) is not None


def form_of(body: str, path: str) -> tuple[dict, dict] | None:
    """The form of ``body`` that posts to ``path`` (``hx-post`` or ``action``), as a browser
    would send it untouched: ``({name: value}, {name: [choices]})``. Hidden and typed values
    as they are, checked boxes and radios, each select's selected option (else its first);
    the choices are a select's option values, a radio group's values, a checkbox's value.
    None when no form posts there."""
    for attrs, inner in FORM.findall(body):
        target = _attr(attrs, "hx-post") or _attr(attrs, "action")
        if target is None or target.partition("?")[0] != path:
            continue
        values: dict[str, str] = {}
        choices: dict[str, list[str]] = {}
        for input_tag, kind, tag, content in FIELD.findall(inner):
            name = _attr(input_tag or tag, "name")
            if not name or _flag(input_tag or tag, "disabled"):
                continue
            if kind == "select":
                options = [(_attr(o, "value") or "", _flag(o, "selected"))
                           for o in OPTION.findall(content)]
                choices[name] = [v for v, _selected in options if v]
                chosen = [v for v, selected in options if selected]
                if options:
                    values[name] = chosen[0] if chosen else options[0][0]
            elif kind == "textarea":
                values[name] = html.unescape(content.lstrip("\n"))
            else:
                kind = (_attr(input_tag, "type") or "text").lower()
                value = _attr(input_tag, "value")
                if kind in ("checkbox", "radio"):
                    value = "on" if value is None else value
                    choices.setdefault(name, []).append(value)
                    if _flag(input_tag, "checked"):
                        values[name] = value
                elif kind not in SKIPPED:
                    values[name] = value or ""
        return values, choices
    return None


def fill(form: tuple[dict, dict] | None, wanted: dict) -> dict:
    """Fill a parsed form: each entry of ``wanted`` — a word a field's name contains -> a
    value, or a callable of the field's choices giving one, where None leaves the field
    out — goes to the fields whose names contain that word (never the CSRF token or the
    version). Without a form (none in the page) the words themselves are the names."""
    if form is None:
        values = {word: (value(()) if callable(value) else value)
                  for word, value in wanted.items()}
        return {word: value for word, value in values.items() if value is not None}
    values, choices = dict(form[0]), form[1]
    for word, value in wanted.items():
        for name in [n for n in set(values) | set(choices) if word in n]:
            if name in ("csrf_token", "version"):
                continue
            if value is None:
                values.pop(name, None)
            elif callable(value):
                chosen = value(choices.get(name, ()))
                if chosen is None:
                    values.pop(name, None)
                else:
                    values[name] = chosen
            else:
                values[name] = value
    return values


def yes_no(options, yes: bool) -> str | None:
    """A yes/no field's value: a checkbox sends its value or is left out (None); a select or
    radio group gets the option that says yes or no."""
    options = list(options)
    words = ("y", "1", "true", "yes", "on") if yes else ("n", "0", "false", "no", "off")
    for option in options:
        if option.lower() in words:
            return option
    if len(options) == 1:  # a checkbox with a value of its own
        return options[0] if yes else None
    return "y" if yes else None
