"""Password hashing with argon2id (ASVS 2.4.1: argon2id, 64 MiB, t=3, p=4)."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

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
