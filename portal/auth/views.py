"""Sign-in, sign-out, own account and the language switch."""

from flask import current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from portal import audit
from portal.auth import bp
from portal.auth.decorators import public, require
from portal.auth.forms import ChangePasswordForm, LoginForm
from portal.auth.services import AccountError, authenticate, change_own_password, normalise_username
from portal.extensions import db, limiter
from portal.i18n import is_supported, safe_next
from portal.web import render


def _username_key() -> str:
    return "user:" + normalise_username(request.form.get("username", ""))[:64]


def _failed(response) -> bool:
    """Only failed sign-ins count against the limits."""
    return response.status_code != 303


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["LOGIN_FAILURES_PER_USERNAME"], key_func=_username_key,
               methods=["POST"], deduct_when=_failed, scope="login-username")
@limiter.limit(lambda: current_app.config["LOGIN_ATTEMPTS_PER_IP"], methods=["POST"],
               deduct_when=_failed, scope="login-ip")
def login():
    """Sign in with username and password."""
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    next_url = safe_next(request.values.get("next"), url_for("home.index"))
    if form.validate_on_submit():
        user = authenticate(form.username.data, form.password.data)
        if user:
            locale = session.get("locale")
            session.clear()  # a new session at sign-in (no fixation)
            session.permanent = True  # ends after PERMANENT_SESSION_LIFETIME without use
            login_user(user)
            if user.locale is None and is_supported(locale):
                user.locale = locale
                db.session.commit()
            return redirect(next_url, 303)
        form.password.errors.append(_("Wrong username or password, or the account is deactivated."))
    status = 422 if form.errors else 200
    return render("auth/login.html", form=form, next_url=next_url, status=status)


@bp.route("/logout", methods=["POST"])
@require("home.view")
def logout():
    """Sign out and clear the session."""
    audit.record("auth.logout", current_user)
    db.session.commit()
    locale = current_user.locale
    logout_user()
    session.clear()
    if locale:
        session["locale"] = locale
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"), 303)


@bp.route("/account", methods=["GET", "POST"])
@require("account.manage_own")
def account():
    """Own account: change password."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            change_own_password(current_user, form.current_password.data, form.new_password.data)
        except AccountError as error:
            form[error.field].errors.append(str(error))
        else:
            # the session token changed: sign this session in again with the new one
            login_user(current_user._get_current_object())
            flash(_("Your password has been changed. Other sessions were signed out."), "success")
            return redirect(url_for("auth.account"), 303)
    status = 422 if form.errors else 200
    return render("auth/account.html", form=form, status=status)


@bp.route("/language", methods=["POST"])
@public
def set_language():
    """Switch the interface language; remembered for the signed-in user."""
    locale = request.form.get("locale")
    if not is_supported(locale):
        flash(_("That language is not available."), "error")
        return redirect(safe_next(request.form.get("next"), url_for("home.index")), 303)
    session["locale"] = locale
    if current_user.is_authenticated:
        current_user.locale = locale
        db.session.commit()
    return redirect(safe_next(request.form.get("next"), url_for("home.index")), 303)



def throttled():
    """The sign-in page refusing further attempts (429 from the limiter)."""
    username = normalise_username(request.form.get("username", ""))[:64]
    audit.record("auth.login_throttled", details={"username": username})
    db.session.commit()
    form = LoginForm()
    form.password.errors = [
        _("Too many failed sign-ins. Sign-in is refused for 15 minutes; ask the supervisor "
          "if you forgot your password.")
    ]
    return render("auth/login.html", form=form, status=429,
                  next_url=safe_next(request.values.get("next"), url_for("home.index")))
