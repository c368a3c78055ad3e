"""The action runner (portal/actions.py) and the shape every area follows: one commit per
request in the runner, services that only flush, no import circle between areas."""

import ast
from pathlib import Path

import pytest
from flask import url_for
from flask_wtf import FlaskForm
from werkzeug.exceptions import BadRequest
from wtforms import StringField
from wtforms.validators import InputRequired

from portal import actions
from portal.actions import Conflict, NotAllowed
from portal.audit.models import AuditEvent
from portal.auth.models import User
from portal.forms import VersionedForm
from portal.rules import RuleError
from tests.conftest import count_rows

PORTAL = Path(__file__).resolve().parent.parent / "portal"

# the runner owns the transaction; the CLI and the demo/bench loaders run outside requests
MAY_COMMIT = {"actions.py", "cli.py", "demo.py"}


def _may_commit(path: Path) -> bool:
    rel = path.relative_to(PORTAL)
    return rel.name in MAY_COMMIT or rel.name.startswith("demo")


def _calls(tree, names) -> list[int]:
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr in names]


def test_only_the_runner_commits_or_rolls_back():
    offenders = []
    for path in sorted(PORTAL.rglob("*.py")):
        if _may_commit(path):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for line in _calls(tree, {"commit", "rollback"}):
            offenders.append(f"{path.relative_to(PORTAL)}:{line}")
    assert offenders == [], "commit()/rollback() outside portal/actions.py: " + ", ".join(
        offenders)


def test_views_do_not_refresh_or_catch_conflicts():
    """Views read as parse → service → answer: the runner re-reads after a conflict."""
    offenders = []
    for path in sorted(PORTAL.rglob("*views.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for line in _calls(tree, {"refresh", "commit_or_conflict", "commit_keeping_loaded"}):
            offenders.append(f"{path.relative_to(PORTAL)}:{line}")
        for node in ast.walk(tree):
            if isinstance(node, ast.ExceptHandler) and node.type is not None:
                names = {n.id if isinstance(n, ast.Name) else getattr(n, "attr", "")
                         for n in ast.walk(node.type)}
                if names & {"Conflict", "StaleDataError", "RuleError"}:
                    offenders.append(f"{path.relative_to(PORTAL)}:{node.lineno}")
    assert offenders == [], "views handling what the runner handles: " + ", ".join(offenders)


def _area_of(module: str) -> str | None:
    parts = module.split(".")
    if len(parts) >= 2 and parts[0] == "portal" and (PORTAL / parts[1]).is_dir():
        return parts[1]
    return None


def _area_imports() -> dict[str, set[str]]:
    """{area: areas it imports}, counting imports inside functions too."""
    graph: dict[str, set[str]] = {}
    for path in PORTAL.rglob("*.py"):
        rel = path.relative_to(PORTAL)
        if len(rel.parts) < 2 or rel.name.startswith("demo"):
            continue  # core modules; the demo loaders may read every area
        area = rel.parts[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                other = _area_of(name)
                if other and other != area:
                    graph.setdefault(area, set()).add(other)
    return graph


def test_no_import_circle_between_areas():
    graph = _area_imports()
    circles = []

    def visit(area, path):
        for other in sorted(graph.get(area, ())):
            if other in path:
                circles.append(" → ".join(path[path.index(other):] + [other]))
            elif len(path) < 8:
                visit(other, path + [other])

    for area in sorted(graph):
        visit(area, [area])
    assert circles == []


def test_orders_do_not_import_aftersales():
    assert "aftersales" not in _area_imports().get("orders", set())


# --- the runner ------------------------------------------------------------------------------


class _Form(VersionedForm):
    text = StringField(validators=[InputRequired()])


class _Answer:
    def __init__(self):
        self.calls = []

    def done(self, result, message):
        self.calls.append(("done", result, message))
        return f"done {message}"

    def refused(self, form, message):
        self.calls.append(("refused", message))
        return "refused"

    def conflict(self, form, message):
        self.calls.append(("conflict", form.version.data if form else None, message))
        return "conflict"

    def location(self, result):
        return "/somewhere"


HX = {"HX-Request": "true"}


def _post(app, data, headers=HX):
    return app.test_request_context("/x", method="POST", data=data, headers=headers)


class _Record:
    version = 7


def test_runner_answers_done_and_commits_once(app, db):
    answer = _Answer()
    with _post(app, {"version": "3", "text": "hi"}):
        form = _Form()
        made = []

        def work():
            user = User(username="runner-made", display_name="做", role="presales",
                        password_hash="x", active=True)
            db.session.add(user)
            db.session.flush()
            made.append(user.id)
            return user

        response = actions.run(work, form=form, answer=answer, done=lambda user: "ok")
        assert response.status_code == 200
        assert answer.calls[0][0] == "done" and answer.calls[0][2] == "ok"
    db.session.rollback()  # the runner committed: the row survives a rollback
    assert db.session.get(User, made[0]) is not None


def test_runner_redirects_without_javascript(app):
    with _post(app, {"version": "3", "text": "hi"}, headers={}):
        response = actions.run(lambda: None, form=_Form(), answer=_Answer(), done="ok")
        assert response.status_code == 303 and response.location == "/somewhere"


def test_runner_refuses_a_broken_version_with_400(app):
    with _post(app, {"version": "abc", "text": "hi"}), pytest.raises(BadRequest):
        actions.run(lambda: None, form=_Form(), answer=_Answer())


def test_runner_answers_invalid_input_with_422_and_runs_nothing(app):
    ran = []
    with _post(app, {"version": "3", "text": ""}):
        form = _Form()
        response = actions.run(lambda: ran.append(1), form=form, answer=_Answer())
        assert response.status_code == 422 and ran == [] and form.text.errors


def test_a_rule_refusal_rolls_back_and_shows_next_to_the_field(app, db):
    before = count_rows(User)

    def work():
        db.session.add(User(username="refused", display_name="拒", role="presales",
                            password_hash="x", active=True))
        db.session.flush()
        raise RuleError("Too long: %(n)s", "text", n=5)

    with _post(app, {"version": "3", "text": "hi"}):
        form = _Form()
        response = actions.run(work, form=form, answer=_Answer())
        assert response.status_code == 422
        assert form.text.errors == ["Too long: 5"]
    assert count_rows(User) == before


def test_a_conflict_keeps_the_typing_and_moves_the_version(app):
    answer = _Answer()

    def work():
        raise Conflict(_Record())

    with _post(app, {"version": "3", "text": "what I typed"}):
        form = _Form()
        response = actions.run(work, form=form, answer=answer)
        assert response.status_code == 409
        assert form.text.data == "what I typed"
        assert answer.calls == [("conflict", 7, str(actions.CONFLICT_MESSAGE))]


def test_not_allowed_is_an_audited_403(app, client, login):
    login("presales")
    with _post(app, {"version": "3", "text": "x"}):
        from werkzeug.exceptions import Forbidden

        with pytest.raises(Forbidden):
            actions.run(lambda: (_ for _ in ()).throw(NotAllowed("x.y")), form=_Form(),
                        answer=_Answer())
    assert count_rows(AuditEvent, AuditEvent.action == "auth.forbidden") >= 1


def test_anything_else_propagates_to_the_500_page(app):
    with _post(app, {"version": "3", "text": "x"}), pytest.raises(ZeroDivisionError):
        actions.run(lambda: 1 / 0, form=_Form(), answer=_Answer())


def test_a_plain_csrf_form_without_a_token_is_400(app, csrf_enabled):
    with _post(app, {}), pytest.raises(BadRequest):
        actions.run(lambda: None, form=FlaskForm(), answer=_Answer())


def test_url_for_works_in_answers(app):
    with _post(app, {"version": "1", "text": "x"}):
        assert url_for("home.index")


FIELD_ERRORS = {"ValueError", "ValidationError", "StopValidation"}


def test_refusals_are_raised_as_markers_translated_when_shown():
    """Issue 14 item 6: a service's refusal carries ``N_("…")`` and its parameters; the
    runner translates it in the reader's language (form validators, which run in the
    request, may translate at once)."""
    eager = []
    for path in sorted(PORTAL.rglob("*.py")):
        if path.name == "forms.py" or path.name.endswith("_forms.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and node.exc.args:
                if getattr(node.exc.func, "id", "") in FIELD_ERRORS:
                    continue  # a field's parse error, shown by the form in the request
                first = node.exc.args[0]
                if isinstance(first, ast.Call) and getattr(first.func, "id", "") in (
                        "_", "gettext", "lazy_gettext", "_l"):
                    eager.append(f"{path.relative_to(PORTAL)}:{node.lineno}")
    assert eager == []
