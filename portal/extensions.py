"""The extension objects, created unbound and initialised by create_app."""

from flask import request
from flask_babel import Babel
from flask_htmx import HTMX
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from portal.database import Base

db = SQLAlchemy(model_class=Base)


def include_name(name, type_, parent_names) -> bool:
    """Autogenerate's view of the schema: tables the models do not describe but a
    migration made on purpose (SQLite's FTS5 search index and its shadow tables, listed in
    ``db.metadata.info["unmodelled"]``) are left alone."""
    return not (type_ == "table" and name in db.metadata.info.get("unmodelled", ()))


migrate = Migrate(compare_type=True, render_as_batch=True, include_name=include_name)
login_manager = LoginManager()
csrf = CSRFProtect()
htmx = HTMX()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def remote_address() -> str:
    """The client's address as the limiter and the audit trail see it."""
    return request.remote_addr or "unknown"
