"""Settings read from the environment; tests pass a dict to create_app instead."""

import os
from pathlib import Path

DEFAULT_SECRET_KEY = "dev-only-insecure-key"  # noqa: S105 - refused in production (see check)


class ConfigError(RuntimeError):
    """The configuration cannot be used (for example no SECRET_KEY in production)."""


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def from_environment(instance_path: str) -> dict:
    """Build the settings dict from environment variables."""
    sqlite_file = Path(instance_path) / "portal.sqlite3"
    redis_url = os.environ.get("REDIS_URL") or None
    return {
        "PORTAL_ENV": os.environ.get("PORTAL_ENV", "development"),
        "SECRET_KEY": os.environ.get("SECRET_KEY", DEFAULT_SECRET_KEY),
        "SQLALCHEMY_DATABASE_URI": os.environ.get("DATABASE_URL", f"sqlite:///{sqlite_file}"),
        "PORTAL_TIMEZONE": os.environ.get("PORTAL_TIMEZONE", "Asia/Shanghai"),
        "SESSION_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE"),
        # Redis, shared by every instance (docs/deploy.md); empty: one instance, no Redis
        "REDIS_URL": redis_url,
        # Flask-Limiter's counters: per process in memory, or shared in Redis when there is one
        # (the sign-in limits themselves are counted in the database, see DEFAULTS)
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI",
                                                redis_url or "memory://"),
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO"),
        # "text" for a terminal, "json" (one object a line, with the request id) in production
        "LOG_FORMAT": os.environ.get("LOG_FORMAT", "text").strip().lower(),
        # one log line per request (method, path, status, duration, request id)
        "LOG_REQUESTS": _bool("LOG_REQUESTS"),
        # How many reverse proxies (nginx) stand in front and set X-Forwarded-For/-Proto;
        # without this, every client would share the proxy's address in the sign-in limits.
        "TRUSTED_PROXIES": int(os.environ.get("TRUSTED_PROXIES", "0")),
        # evidence photos of after-sales cases: outside the web root (empty: instance/evidence)
        "AFTERSALES_PHOTO_DIR": os.environ.get("AFTERSALES_PHOTO_DIR") or None,
        # live updates between instances use REDIS_URL above (pub/sub); unset: this process only
        "LIVE_HEARTBEAT_SECONDS": float(os.environ.get("LIVE_HEARTBEAT_SECONDS", "15")),
    }


DEFAULTS = {
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "PERMANENT_SESSION_LIFETIME": 12 * 3600,
    "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
    "BABEL_DEFAULT_LOCALE": "zh_CN",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
    "PORTAL_LOCALES": ("zh_CN", "zh_TW", "en"),
    "RATELIMIT_HEADERS_ENABLED": False,
    "RATELIMIT_STRATEGY": "moving-window",
    # Sign-in limits: failures per username (ASVS 2.2.1) and per address, counted in the
    # database (sign_in_failures), so they hold across workers and instances.
    "LOGIN_FAILURES_PER_USERNAME": "10 per 15 minutes",
    "LOGIN_ATTEMPTS_PER_IP": "60 per 15 minutes",
    "PASSWORD_MIN_LENGTH": 12,
    "PASSWORD_MAX_LENGTH": 128,
    "PAGE_SIZE": 50,
    # the largest request body: an order import (10 MB) with its form; photos are 5 MB
    "MAX_CONTENT_LENGTH": 12 * 1024 * 1024,
    "NOTIFICATION_POLL_SECONDS": 30,
}


def engine_options(url: str) -> dict:
    """The database pool's settings for ``url`` (docs/performance.md, "PostgreSQL").

    PostgreSQL: no ``pool_pre_ping`` (a round trip on every request); a connection the server
    closed is found at checkout without one (``portal.database``), TCP keepalives find a
    silently dropped network path, and connections are renewed hourly. Five connections per
    process and ten more in a burst: a sync worker uses one, threads one each.
    ``DB_POOL_SIZE`` / ``DB_MAX_OVERFLOW`` change it; ``DB_PREPARE_THRESHOLD`` is psycopg's
    (a statement sent that many times on a connection is prepared: parsed and planned once).
    JIT compilation is off for the portal's sessions: its short queries over large tables
    reach JIT's cost threshold and then spend 100–300 ms compiling what runs in 5 ms
    (``DB_JIT=on`` gives it back).
    """
    if not url.startswith("postgresql"):
        return {}
    return {
        "pool_pre_ping": False,
        "pool_size": int(os.environ.get("DB_POOL_SIZE", "5")),
        "max_overflow": int(os.environ.get("DB_MAX_OVERFLOW", "10")),
        "pool_recycle": 3600,
        "connect_args": {
            "keepalives": 1, "keepalives_idle": 60, "keepalives_interval": 10,
            "keepalives_count": 3,
            "prepare_threshold": int(os.environ.get("DB_PREPARE_THRESHOLD", "5")),
            "options": "-c jit=" + ("on" if os.environ.get("DB_JIT") == "on" else "off"),
        },
    }


def check(config: dict) -> None:
    """Refuse settings that must never reach production.

    Several instances (docs/deploy.md) share sessions through SECRET_KEY alone (the session
    is a signed cookie; its token is checked in the database), so production refuses to
    start with the development key or a short one."""
    from portal.ops.logs import FORMATS

    if config.get("LOG_FORMAT", "text") not in FORMATS:
        raise ConfigError(f"LOG_FORMAT must be one of {', '.join(FORMATS)}")
    if config.get("PORTAL_ENV") == "production":
        key = config.get("SECRET_KEY") or ""
        if not key or key == DEFAULT_SECRET_KEY or len(key) < 32:
            raise ConfigError(
                "SECRET_KEY must be set to a random value of at least 32 characters "
                "when PORTAL_ENV=production"
            )
