"""Blueprints, login, CSRF and the navigation each user sees."""
from __future__ import annotations

from flask import Flask, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .extensions import csrf, db, limiter, login_manager
from .menu import landing_page, shown_to
from .models import User

# ASVS 3.4.3 (F-7.1): no plugins, no <base> that would move relative URLs elsewhere.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")


def register(app: Flask) -> None:
    @app.before_request
    def limit_form_bodies():
        """Only a multipart form carries a file: any other body (a urlencoded form, JSON) is
        read whole into memory, so it is held to the form limit (F-8.2). Registered before
        CSRFProtect, whose check is the first to read the form."""
        if request.mimetype != "multipart/form-data":
            request.max_content_length = app.config["MAX_FORM_MEMORY_SIZE"]

    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to continue.")
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(token: str) -> User | None:
        user_id, _, session_token = token.partition(":")
        if not user_id.isdigit():
            return None
        user = db.session.get(User, int(user_id))
        if user is None or not session_token or user.session_token != session_token:
            return None
        return user

    # Each blueprint registers its menu entry when imported (menu.ORDER orders them).
    from .auth.routes import bp as auth_bp
    from .inbox.routes import bp as inbox_bp
    from .me.routes import bp as me_bp
    from .cases.routes import bp as cases_bp
    from .members.routes import bp as members_bp
    from .party_members.routes import bp as party_members_bp
    from .classes.routes import bp as classes_bp
    from .targets.routes import bp as targets_bp
    from .workflow_view.routes import bp as workflow_bp
    from .reports.routes import bp as reports_bp
    from .admin.routes import bp as admin_bp
    from .account.routes import bp as account_bp
    for blueprint in (auth_bp, inbox_bp, me_bp, cases_bp, members_bp, party_members_bp,
                      classes_bp, workflow_bp, targets_bp, reports_bp, admin_bp, account_bp):
        app.register_blueprint(blueprint)

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
