"""The knowledge base (知识库): articles with versions, the editor, promoted questions.

Each views module adds its routes to ``bp`` and has ``register(app)`` for its navigation
entries, Today cards and audit words.
"""

import importlib

from flask import Blueprint

bp = Blueprint("knowledge", __name__, url_prefix="/knowledge")

VIEW_MODULES: tuple[str, ...] = ("views",)


def init_app(app) -> None:
    """Register the blueprint, its navigation, cards and audit words."""
    from portal.knowledge import models  # noqa: F401 - the tables belong to the app

    modules = [importlib.import_module(f"portal.knowledge.{name}") for name in VIEW_MODULES]
    app.register_blueprint(bp)
    for module in modules:
        module.register(app)
