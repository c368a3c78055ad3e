"""Sign-in, sign-out, own account and the language switch."""

from flask import abort, current_app, flash, make_response, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user

from portal import actions, audit
from portal.auth import bp
from portal.auth.decorators import public, require
from portal.auth.forms import ChangePasswordForm, LoginForm
from portal.auth.services import (
    adopt_language,
    authenticate,
    change_own_password,
    end_sessions,
    normalise_username,
    record_sign_in_failure,
    sign_in_refused,
)
from portal.errors import error_response
from portal.extensions import remote_address
from portal.i18n import N_, is_supported, safe_next
from portal.rules import RuleError
from portal.web import render


class PageAnswer:
    """An action that leads to another page: without JavaScript a 303 there (the runner
    flashes the message), for htmx the same page loaded whole (``HX-Redirect``). Refusals
    and conflicts without a form of their own are the error page (or, for htmx, a toast)."""

    def __init__(self, location: str) -> None:
        self._location = location

    def done(self, result, message: str):
        if message:
            flash(message, "success")
        response = make_response("")
        response.headers["HX-Redirect"] = self.location(result)
        return response

    def refused(self, form, message):
        if form is not None:
            message = " ".join(form.form_errors) or None
        return error_response(422, message)

    def conflict(self, form, message: str):
        return error_response(409, message)

    def location(self, result) -> str:
        return self._location


class SignInAnswer(PageAnswer):
    """The sign-in form again with its messages, or on to where the user was going."""

    def refused(self, form, message):
        return render("auth/login.html", form=form, next_url=self._location)

    def conflict(self, form, message: str):
        form.form_errors.append(message)
        return self.refused(form, None)


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    """Sign in with username and password."""
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    next_url = safe_next(request.values.get("next"), url_for("home.index"))
    if request.method == "GET":
        return render("auth/login.html", form=form, next_url=next_url)
    return actions.run(lambda: _sign_in(form), form=form, answer=SignInAnswer(next_url))


def _sign_in(form: LoginForm):
    config, ip = current_app.config, remote_address()
    limits = {"per_username": config["LOGIN_FAILURES_PER_USERNAME"],
              "per_ip": config["LOGIN_ATTEMPTS_PER_IP"]}
    if sign_in_refused(form.username.data, ip, **limits):
        abort(429)  # the sign-in page saying so (throttled), before any password is checked
    locale = session.get("locale")
    user = authenticate(form.username.data, form.password.data,
                        locale if is_supported(locale) else None)
    if user is None:
        # the failure counts against the limits, and stays in the audit trail, although the
        # sign-in is refused
        record_sign_in_failure(form.username.data, ip, **limits)
        actions.commit_security_event()
        raise RuleError(N_("Wrong username or password, or the account is deactivated."),
                        "password")
    session.clear()  # a new session at sign-in (no fixation)
    session.permanent = True  # ends after PERMANENT_SESSION_LIFETIME without use
    login_user(user)
    return user


@bp.route("/logout", methods=["POST"])
@require("home.view")
def logout():
    """Sign out and clear the session."""
    return actions.run(_sign_out, answer=PageAnswer(url_for("auth.login")))


@bp.route("/account/sign-out-everywhere", methods=["POST"])
@require("account.manage_own")
def sign_out_everywhere():
    """Sign out on every computer and browser, this one included."""
    return actions.run(lambda: _sign_out(everywhere=True),
                       answer=PageAnswer(url_for("auth.login")))


def _sign_out(everywhere: bool = False) -> None:
    """End the session on the server: the account's session token changes, so a copy of
    this cookie (or any other session's) no longer signs anyone in."""
    user = current_user._get_current_object()
    audit.record("auth.logout_everywhere" if everywhere else "auth.logout", user)
    end_sessions(user)
    locale = user.locale
    logout_user()
    session.clear()
    if locale:
        session["locale"] = locale
    flash(_("You have signed out on every computer.") if everywhere
          else _("You have signed out."), "info")


class OwnAccountAnswer(PageAnswer):
    """The own-account page with the password form as typed."""

    def refused(self, form, message):
        return render("auth/account.html", form=form)

    def conflict(self, form, message: str):
        form.form_errors.append(message)
        return self.refused(form, None)


@bp.route("/account", methods=["GET", "POST"])
@require("account.manage_own")
def account():
    """Own account: change password."""
    form = ChangePasswordForm()
    if request.method == "GET":
        return render("auth/account.html", form=form)
    return actions.run(lambda: _change_password(form), form=form,
                       answer=OwnAccountAnswer(url_for("auth.account")),
                       done=_l("Your password has been changed. Other sessions were signed out."))


def _change_password(form: ChangePasswordForm) -> None:
    user = current_user._get_current_object()
    change_own_password(user, form.current_password.data, form.new_password.data)
    login_user(user)  # the session token changed: sign this session in again with the new one


@bp.route("/language", methods=["POST"])
@public
def set_language():
    """Switch the interface language; remembered for the signed-in user."""
    locale = request.form.get("locale")
    back = safe_next(request.form.get("next"), url_for("home.index"))
    if not is_supported(locale):
        flash(_("That language is not available."), "error")
        return redirect(back, 303)
    return actions.run(lambda: _choose_language(locale), answer=PageAnswer(back))


def _choose_language(locale: str) -> None:
    session["locale"] = locale
    if current_user.is_authenticated:
        adopt_language(current_user._get_current_object(), locale)


def throttled():
    """The sign-in page refusing further attempts (429: too many failures)."""
    username = normalise_username(request.form.get("username", ""))[:64]
    audit.record("auth.login_throttled", details={"username": username})
    actions.commit_security_event()
    form = LoginForm()
    form.password.errors = [
        _("Too many failed sign-ins. Sign-in is refused for 15 minutes; ask the supervisor "
          "if you forgot your password.")
    ]
    return render("auth/login.html", form=form, status=429,
                  next_url=safe_next(request.values.get("next"), url_for("home.index")))
