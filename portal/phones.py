"""Chinese phone numbers as people type them: a mobile (11 digits) or a landline with its
area code; one rule for every area that takes one (the visitor log, orders typed, imported
or changed by a remark)."""

import re

from portal.i18n import N_

MOBILE = re.compile(r"^1[3-9]\d{9}$")
# area code 0 + 2–3 digits, number 7–8 digits, optional extension (-123, 转123, x123, ext123)
LANDLINE = re.compile(r"^(0\d{2,3})-?(\d{7,8})(?:(?:-|转|#|x|ext\.?)(\d{1,6}))?$", re.I)
PHONE_MESSAGE = N_("Enter a mobile number (11 digits, e.g. 13812345678) or a landline with "
                   "its area code (e.g. 0571-88886666).")


def normalise(raw: str | None) -> str | None:
    """The stored form of a phone number: a mobile as 11 digits, a landline as
    ``0571-88886666`` (``-123`` for an extension); None when empty; ``ValueError`` when it is
    neither (a 7-digit number without its area code, letters)."""
    text = (raw or "").strip()
    if not text:
        return None
    text = re.sub(r"[\s()（）]", "", text)
    text = re.sub(r"^(\+86|0086)-?", "", text)
    if MOBILE.match(text.replace("-", "")) and not text.startswith("0"):
        return text.replace("-", "")
    match = LANDLINE.match(text)
    if match:
        area, number, extension = match.groups()
        return f"{area}-{number}" + (f"-{extension}" if extension else "")
    raise ValueError(raw)
