"""The one way an action runs: check the form, do the work, commit once, answer.

Every state-changing view is ``parse → service → answer``::

    return actions.run(lambda: svc.pack(current_user, order, form.version.data),
                       form=form, answer=RowAnswer(order), done=_l("Packed."))

The runner (indico's ``RH.process`` is the model) owns the transaction; services below it
change objects and ``flush()`` (the version check fires there), raise ``RuleError``,
``Conflict`` or ``NotAllowed``, and write ``audit.record()`` and ``notify()`` in the same
transaction, so work that spans two areas is one transaction. Nothing else under ``portal/``
commits or rolls back (``tests/test_actions.py`` scans for it), except the CLI and the demo
and bench loaders.

What an action answers is the area's: an ``Answer`` says what a record shows after a
change (``done``), after a refusal (``refused``, 422, the form's messages next to its
fields) and after someone else changed it first (``conflict``, 409: the record as it is
now, the user's typing kept in the form, its ``version`` field moved to the current one so
that sending it again is a deliberate second try).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from flask import current_app, flash, has_request_context, make_response, redirect, request
from flask_babel import gettext, lazy_gettext
from flask_babel.speaklater import LazyString
from sqlalchemy import event
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import BadRequest

from portal.extensions import db
from portal.forms import show_refusal
from portal.rules import RuleError
from portal.web import is_fragment_request


class Conflict(Exception):
    """Someone else changed the record first; the runner answers its current state (409)."""

    def __init__(self, record=None, message: str | None = None) -> None:
        super().__init__(message or "conflict")
        self.record = record
        self.message = message


class NotAllowed(Exception):
    """The record-level rule refuses this user ("only your own sheet"): an audited 403."""

    def __init__(self, permission: str = "", message: str | None = None) -> None:
        super().__init__(message or "not allowed")
        self.permission = permission
        self.message = message


class Answer(Protocol):
    """What an area answers for an action on one of its records."""

    def done(self, result: Any, message: str) -> Any:
        """The changed record (htmx: the part that changed, others out of band)."""

    def refused(self, form, message: str | None) -> Any:
        """The form as typed with its messages; nothing changed (sent with 422). A rule's
        refusal is in the form (next to its field, else in ``form.form_errors``); without a
        form it comes as ``message``."""

    def conflict(self, form, message: str) -> Any:
        """The record as it is now, the typing kept (sent with 409)."""

    def location(self, result: Any) -> str:
        """Where a request without JavaScript goes after the change (303)."""


CONFLICT_MESSAGE = lazy_gettext("Someone else changed this first. This is its current state; "
                                "check it and try again.")


def _text(message, result=None) -> str:
    """A done message: a lazy string, a callable of the result, or plain text."""
    if callable(message) and not isinstance(message, LazyString):
        message = message(result)
    return str(message) if message is not None else ""


def _form_broken(form) -> bool:
    """A missing/invalid CSRF token or a malformed version: not the user's typing (400)."""
    errors = getattr(form, "errors", {}) or {}
    return "csrf_token" in errors or "version" in errors


def _keep_typing(form, subject) -> None:
    """After a conflict the form keeps what was typed; its version becomes the current one."""
    if form is None or subject is None or "version" not in form:
        return
    version = getattr(subject, "version", None)
    if version is not None:
        form.version.data = version
        form.version.raw_data = [str(version)]


def run(work: Callable[[], Any], *, answer: Answer, form=None, done=None,
        subject=None, validate: bool = True, conflicts: tuple = ()):
    """Run one action and answer it.

    ``form``: validated first (400 for a broken token or version, 422 with the messages for
    the rest). ``work``: the service call; its result goes to ``answer.done``. ``done``: the
    success message (lazy string, or a callable of the result). ``subject``: the record the
    409 re-reads (its version goes into the form). ``conflicts``: further exception types
    (e.g. a unique key taken meanwhile) that mean "someone else was first"; they are
    tested before ``RuleError``, so a rule subclass can be named a conflict here.
    """
    if form is not None and validate and not form.validate_on_submit():
        if _form_broken(form):
            raise BadRequest()
        return _status(answer.refused(form, None), 422)
    try:
        result = work()
        db.session.flush()
        message = _text(done, result)
        if is_fragment_request():
            response = make_response(answer.done(result, message))
        else:
            if message:
                flash(message, "success")
            response = redirect(answer.location(result), 303)
        commit()
        return response
    except (Conflict, StaleDataError, *conflicts) as error:
        discard()
        record = getattr(error, "record", None) or subject
        _keep_typing(form, record)
        given = getattr(error, "message", None)
        message = gettext(given) if given else str(CONFLICT_MESSAGE)
        return _status(answer.conflict(form, message), 409)
    except RuleError as error:
        discard()
        text = getattr(answer, "refusal_text", refusal_text)(error)
        if form is None:
            return _status(answer.refused(None, text), 422)
        show_refusal(form, error, text)
        return _status(answer.refused(form, None), 422)
    except NotAllowed as error:
        discard()
        from portal.auth.decorators import refuse

        refuse(error.permission or (request.endpoint or ""))


def refusal_text(error: RuleError) -> str:
    """A rule's refusal in the reader's language (its message is an untranslated marker)."""
    return gettext(error.message, **error.params)


def _status(response, status: int):
    response = make_response(response)
    response.status_code = status
    return response


def commit() -> None:
    """Commit the request's one transaction (the runner's and the request's end only).

    The objects stay loaded: the answer was rendered from them already, and nothing after
    the commit should read them again."""
    session = db.session()
    before = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = before


def discard() -> None:
    """Roll the request's transaction back (a refusal, a conflict, an error)."""
    db.session.rollback()


@event.listens_for(Session, "after_flush")
def _wrote_by_flush(session, context) -> None:
    session.info["wrote"] = True


@event.listens_for(Session, "do_orm_execute")
def _wrote_by_statement(state) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info["wrote"] = True


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _written(session) -> None:
    session.info.pop("wrote", None)


def commit_request(response):
    """after_request: a request that is not an action but wrote (a sheet made on first use,
    a record of who saw personal data) commits here, once, when it answered < 400. A request
    that only read commits nothing."""
    if response.status_code < 400 and db.session.registry.has():
        session = db.session()
        if session.info.get("wrote") or session.new or session.dirty or session.deleted:
            try:
                commit()
            except (StaleDataError, IntegrityError):
                discard()
                raise
    return response


def commit_security_event() -> None:
    """Commit an audited refusal (or a failed sign-in); a busy database must not turn a 403
    into a 500, nor lose the record.

    On SQLite a GET's transaction begins deferred and has read (the user) before it writes
    the event; when another writer committed in between, SQLite refuses the write at once
    ("database is locked", without waiting its busy timeout). The events then go again in a
    transaction of their own, whose first statement is the write and so queues for the lock.
    Only when that fails too is the event lost, and the log says so."""
    session = db.session()
    unsaved = [_column_values(record) for record in session.new]
    for last in (False, True):
        try:
            commit()
            return
        except OperationalError:
            discard()
            if last or not unsaved:
                if has_request_context():
                    current_app.logger.warning("could not record a refusal of %s %s",
                                               request.method, request.path, exc_info=True)
                return
            session.add_all(model(**values) for model, values in unsaved)


def _column_values(record) -> tuple[type, dict]:
    """A new record's class and column values, its primary key left to the database."""
    mapper = sa_inspect(record).mapper
    return type(record), {attr.key: getattr(record, attr.key) for attr in mapper.column_attrs
                          if not any(column.primary_key for column in attr.columns)}


# --- transitional: removed once every area runs its actions through run() ----------------


def commit_or_conflict(record, also=(), *, keep_loaded: bool = False) -> None:
    """Transitional: commit, a stale version becoming ``Conflict``."""
    try:
        commit() if keep_loaded else db.session.commit()
    except (StaleDataError, *also) as error:
        discard()
        raise Conflict(record) from error


def commit_keeping_loaded() -> None:
    """Transitional: commit without expiring what the session holds."""
    commit()
