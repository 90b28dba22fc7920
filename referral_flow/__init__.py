"""referral_flow: the referral of outstanding union members to the Party."""
from __future__ import annotations

from pathlib import Path

from flask import Flask

from .config import Config, audit_key, config_from_env


def create_app(config: type | dict | None = None) -> Flask:
    """The application on ``config`` when given (tests, benchmarks), else on the
    configuration REFERRAL_FLOW_ENV names (production when unset)."""
    app = Flask(__name__, template_folder="../templates", static_folder="../static",
                instance_path=str(Path(__file__).resolve().parent.parent / "instance"))
    app.config.from_object(config_from_env() if config is None else Config)
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError("SECRET_KEY must be set in the environment for this configuration "
                           "(REFERRAL_FLOW_ENV unset means production; `make demo` sets "
                           "development).")
    app.config["AUDIT_KEY"] = audit_key(app.config)
    Path(app.instance_path).mkdir(exist_ok=True)

    from . import cli, database, errors, i18n, production, replica, web
    from .services import kept_facts
    replica.configure(app)
    database.register(app)
    kept_facts.install()
    production.register(app)
    i18n.register(app)
    web.register(app)
    errors.register(app)
    cli.register(app)
    return app
