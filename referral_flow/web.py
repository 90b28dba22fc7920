"""Blueprints, login, CSRF and the navigation each user sees."""
from __future__ import annotations

from datetime import timedelta

from flask import Flask, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, login_url

from werkzeug.middleware.proxy_fix import ProxyFix

from .database import begin_writing
from .extensions import csrf, db, limiter, login_manager
from .menu import landing_page, shown_to
from .models import User
from .services import sessions
from .workflow.guards import MISSING_CHOICES


def trust_proxies(app: Flask) -> None:
    """Behind ``TRUSTED_PROXIES`` reverse proxies (the TLS proxy of the README: 1), the
    client's address and scheme are the ones the proxies add to X-Forwarded-For/-Proto, so
    that throttling counts per person, not per proxy. With 0 those headers are ignored: a
    client cannot choose his own address."""
    hops = app.config["TRUSTED_PROXIES"]
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)

# ASVS 3.4.3 (F-7.1): no plugins, no <base> that would move relative URLs elsewhere.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")


def register(app: Flask) -> None:
    trust_proxies(app)
    _guard_requests(app)
    csrf.init_app(app)
    limiter.init_app(app)
    _sign_in_by_session(app)

    # Each blueprint registers its menu entry when imported (menu.ORDER orders them).
    from .auth.routes import bp as auth_bp
    from .inbox.routes import bp as inbox_bp
    from .me.routes import bp as me_bp
    from .cases.routes import bp as cases_bp
    from .cases.scans import bp as scans_bp
    from .members.routes import bp as members_bp
    from .party_members.routes import bp as party_members_bp
    from .classes.routes import bp as classes_bp
    from .targets.routes import bp as targets_bp
    from .workflow_view.routes import bp as workflow_bp
    from .reports.routes import bp as reports_bp
    from .admin.routes import bp as admin_bp
    from .account.routes import bp as account_bp
    from .jobs_view.routes import bp as jobs_bp
    from .account import password  # noqa: F401  (its routes join account's blueprint)
    from .admin import passwords  # noqa: F401  (its routes join admin's blueprint)
    from .members import roster_import  # noqa: F401  (its routes join members' blueprint)
    from .cases import case_import  # noqa: F401  (its routes join cases' blueprint)
    from .cases import paper_pages  # noqa: F401  (its routes join cases' blueprint)
    from .classes import certificates  # noqa: F401  (its routes join classes' blueprint)
    from .admin import trees  # noqa: F401  (its routes join admin's blueprint)
    for blueprint in (auth_bp, inbox_bp, me_bp, cases_bp, scans_bp, members_bp, party_members_bp,
                      classes_bp, workflow_bp, targets_bp, reports_bp, admin_bp, account_bp,
                      jobs_bp):
        app.register_blueprint(blueprint)

    # The papers a returned dossier may lack, by code (macros/cases.html ``sent_back``).
    app.jinja_env.globals["missing_forms"] = MISSING_CHOICES

    @app.context_processor
    def navigation():
        if not current_user.is_authenticated:
            return {"nav": []}
        return {"nav": shown_to(current_user)}

    @app.get("/")
    def index():
        if current_user.is_authenticated:
            return redirect(url_for(landing_page(current_user)))
        return redirect(url_for("auth.login"))


def _guard_requests(app: Flask) -> None:
    """The request-size hook (registered before CSRFProtect) and the security headers."""
    @app.before_request
    def limit_form_bodies():
        """Only a multipart form carries a file: any other body (a urlencoded form, JSON) is
        read whole into memory, so it is held to the form limit (F-8.2). Registered before
        CSRFProtect, whose check is the first to read the form."""
        if request.mimetype != "multipart/form-data":
            request.max_content_length = app.config["MAX_FORM_MEMORY_SIZE"]

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        if app.config["STRICT_TRANSPORT_SECURITY"]:
            response.headers.setdefault("Strict-Transport-Security",
                                        app.config["STRICT_TRANSPORT_SECURITY"])
        # The login page carries a fresh CSRF token; no cache keeps it, nor any page of a
        # signed-in session. Asked of the session cookie, not of the user: after the view's
        # commit the user would be read again, and the database may have gone since.
        if request.endpoint == "auth.login" or "_user_id" in session:
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def _sign_in_by_session(app: Flask) -> None:
    """Flask-Login on the server-side sessions."""
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to continue.")
    login_manager.session_protection = "strong"
    # The cookie lives as long as a session may; the server enforces both limits.
    app.permanent_session_lifetime = timedelta(hours=app.config["SESSION_MAX_HOURS"])

    @login_manager.user_loader
    def load_user(key: str) -> User | None:
        """The user of the session the cookie names, if that session is still open.
        last_seen_at is written at most once a minute, and committed only when loading
        the user is the request's first database work (so nothing else is committed)."""
        first_work = not db.session().in_transaction()
        found = sessions.check(key)
        if found.session is None:
            session.pop("_user_id", None)
            if found.refusal in (sessions.Refusal.idle, sessions.Refusal.too_old):
                g.session_expired = True
                flash(_("Your session has expired. Please log in again."), "info")
            return None
        if first_work and sessions.needs_touch(found.session):
            begin_writing()         # a GET read the session in its snapshot
            sessions.touch(found.session)
            db.session.commit()
        return found.session.user

    @login_manager.unauthorized_handler
    def to_login():
        """Flask-Login's redirect to the login page, without its "please log in" when the
        loader has just said the session expired."""
        if not g.get("session_expired"):
            flash(str(login_manager.login_message), login_manager.login_message_category)
        return redirect(login_url(login_manager.login_view, next_url=request.url))
