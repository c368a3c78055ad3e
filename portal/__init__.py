"""The customer-service department portal: the application factory."""

import importlib

from flask import Flask, g, request, url_for
from flask_login import current_user
from werkzeug.routing import IntegerConverter

from portal import clock, config, errors
from portal.extensions import babel, csrf, db, htmx, limiter, login_manager, migrate
from portal.ops import logs

# Each area is a package with init_app(app); adding an area is adding it here.
AREAS = (
    "portal.auth",
    "portal.home",
    "portal.notifications",
    "portal.audit",
    "portal.live",
    "portal.shifts",
    "portal.handover",
    "portal.reception",
    "portal.scoring",
    "portal.orders",
    "portal.aftersales",
    "portal.customers",
    "portal.worklog",
    "portal.knowledge",
    "portal.complaints",
    "portal.distributors",
    "portal.search",  # the one search box: the areas register their records (SOURCE_MODULES)
    "portal.jobs",  # above the areas: reads their services to find reminders due
    "portal.ops",
)


def create_app(test_config: dict | None = None) -> Flask:
    """Create and configure the portal."""
    app = Flask(__name__, instance_relative_config=True,
                template_folder="../templates", static_folder="../static")
    app.url_map.converters["int"] = RecordId
    app.config.update(config.DEFAULTS)
    app.config.update(config.from_environment(app.instance_path))
    if test_config:
        app.config.update(test_config)
    config.check(app.config)
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS",
                          config.engine_options(app.config["SQLALCHEMY_DATABASE_URI"]))
    logs.configure(app.config["LOG_LEVEL"], app.config["LOG_FORMAT"])
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        import os

        os.makedirs(app.instance_path, exist_ok=True)

    if app.config.get("TRUSTED_PROXIES"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    _init_extensions(app)
    for area in AREAS:
        importlib.import_module(area).init_app(app)
    _init_templates(app)
    errors.register(app)

    from portal.auth.decorators import guard_undeclared
    from portal.web import (
        PortalRequest,
        PortalSessionInterface,
        refuse_hostile_query,
        security_headers,
    )

    app.request_class = PortalRequest
    app.session_interface = PortalSessionInterface()
    app.before_request(refuse_hostile_query)
    app.before_request(guard_undeclared)
    app.after_request(security_headers)
    from portal.actions import commit_request

    app.after_request(commit_request)  # a request that wrote outside an action commits once

    from portal.cli import portal_cli

    app.cli.add_command(portal_cli)
    return app


def _init_extensions(app: Flask) -> None:
    from portal.i18n import select_locale

    db.init_app(app)
    migrate.init_app(app, db, directory=str(_root() / "migrations"))
    csrf.init_app(app)
    htmx.init_app(app)
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories=str(_root() / "portal" / "translations"))
    limiter.init_app(app)
    clock.init_app(app)

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"
    login_manager.user_loader(_load_user)
    login_manager.unauthorized_handler(_unauthorized)


class RecordId(IntegerConverter):
    """``<int:…>`` in a route: a record id within the database's INTEGER range, so that
    ``/orders/99999999999999999999`` is a 404 on both databases, never an overflow (500)."""

    def __init__(self, map, *args, **kwargs):
        from portal.forms import INT_MAX

        kwargs.setdefault("max", INT_MAX)
        super().__init__(map, *args, **kwargs)


def _root():
    from pathlib import Path

    return Path(__file__).resolve().parent.parent


def _load_user(session_id: str):
    from portal.auth.models import User

    user_id, _, token = session_id.partition(":")
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_token != token:
        return None
    return user


def _unauthorized():
    """Anonymous: the sign-in page; for htmx, a full-page redirect there (HX-Redirect)."""
    from flask import make_response, redirect

    if htmx:
        current = request.headers.get("HX-Current-URL", "")
        from urllib.parse import urlsplit

        parts = urlsplit(current)
        back = parts.path + (f"?{parts.query}" if parts.query else "") if current else None
        response = make_response("", 401)
        response.headers["HX-Redirect"] = url_for("auth.login", next=back)
        return response
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def _init_templates(app: Flask) -> None:
    from babel.numbers import format_decimal
    from flask_babel import get_locale

    from portal.auth.permissions import ROLE_LABELS
    from portal.i18n import LANGUAGE_NAMES, html_lang, portal_locale
    from portal.ui import nav_groups

    def can(permission: str) -> bool:
        return current_user.is_authenticated and current_user.can(permission)

    @app.context_processor
    def shell():
        nav = nav_groups(current_user) if current_user.is_authenticated else []
        locale = portal_locale(get_locale())
        return {
            "can": can,
            "nav": nav,
            "locale": locale,
            "html_lang": html_lang(locale),
            "language_names": LANGUAGE_NAMES,
            "poll_seconds": app.config["NOTIFICATION_POLL_SECONDS"],
            "role_labels": ROLE_LABELS,
        }

    @app.template_filter("localized")
    def localized_filter(names, fallback=""):
        """``{{ item.names | localized(item.name) }}``: the name in the reader's language."""
        from portal.i18n import localized

        return localized(names, fallback)

    @app.template_filter("date")
    def date_filter(value):
        if value is None:
            return ""
        if hasattr(value, "hour"):
            value = clock.local(value)
        return value.strftime("%Y-%m-%d")

    @app.template_filter("time")
    def time_filter(value):
        if value is None:
            return ""
        if hasattr(value, "tzinfo") and hasattr(value, "date"):
            value = clock.local(value)
        return value.strftime("%H:%M")

    @app.template_filter("datetime")
    def datetime_filter(value):
        return "" if value is None else clock.local(value).strftime("%Y-%m-%d %H:%M")

    @app.template_filter("money")
    def money_filter(value):
        if value is None:
            return ""
        # the department writes money the same way in every language: ¥1,234.00, -¥500.00
        sign = "-" if value < 0 else ""
        return sign + "¥" + format_decimal(abs(value), format="#,##0.00", locale="en")

    app.jinja_env.globals["g"] = g
