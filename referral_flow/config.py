"""Configuration classes; secrets and URLs come from the environment."""
import os
from datetime import date
from pathlib import Path
from typing import ClassVar

INSTANCE = Path(__file__).resolve().parent.parent / "instance"


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE / 'referral_flow.db'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS: ClassVar[dict] = {"pool_pre_ping": True}
    REDIS_URL = os.environ.get("REDIS_URL")
    RATELIMIT_STORAGE_URI = os.environ.get("REDIS_URL", "memory://")
    RATELIMIT_DEFAULT = "600 per minute"
    LOGIN_RATE_LIMIT = "10 per minute"
    BABEL_DEFAULT_LOCALE = "vi"
    BABEL_DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
    LANGUAGES = ("vi", "en")
    # Meets ASVS: pbkdf2-sha256 with at least 600,000 rounds.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:600000"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    WTF_CSRF_TIME_LIMIT = None
    CASES_PER_PAGE = 50
    # A step that opens on a date (the recognition review at the end of probation) enters
    # the inbox's "to do" this many working days before, so the cell can gather documents.
    REVIEW_WINDOW_WORKING_DAYS = int(os.environ.get("REVIEW_WINDOW_WORKING_DAYS", "20"))
    DEMO_ALLOWED = False
    TESTING = False
    # Refuse to start with a weak key or demo data (referral_flow/production.py).
    PRODUCTION = False
    # Sent by the app as well as by the TLS proxy, so that no response goes without it.
    STRICT_TRANSPORT_SECURITY: str | None = None
    # The largest request body, in bytes (F-8.2). Nothing is uploaded yet (imports come
    # later): forms are a few kilobytes; 16 MB leaves room for a spreadsheet of a province's
    # members. A body that is not a multipart upload is held to MAX_FORM_MEMORY_SIZE, also
    # the limit of each non-file field of an upload (web.py).
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", "16000000"))
    MAX_FORM_MEMORY_SIZE = int(os.environ.get("MAX_FORM_MEMORY_SIZE", "500000"))


def pinned_date(name: str) -> date | None:
    """A date from the environment (YYYY-MM-DD), to pin the application's today."""
    value = os.environ.get(name)
    return date.fromisoformat(value) if value else None


class DevelopmentConfig(Config):
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-not-secret")
    DEMO_ALLOWED = True
    # Try later steps of the demo (probation, recognition) on another day; never in production.
    FROZEN_TODAY = pinned_date("REFERRAL_FLOW_TODAY")


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    # Fast hashing in tests only; production strength is asserted by a test.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
    WTF_CSRF_ENABLED = True
    RATELIMIT_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"
    DEMO_ALLOWED = True


class ProductionConfig(Config):
    PRODUCTION = True
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    STRICT_TRANSPORT_SECURITY = "max-age=63072000; includeSubDomains"


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_env() -> type[Config]:
    """The configuration REFERRAL_FLOW_ENV names; production when it is unset (F-10.1): a
    server started without it refuses to run without a strong SECRET_KEY instead of running
    as development with a published key. `make demo` and the test tools name theirs."""
    name = os.environ.get("REFERRAL_FLOW_ENV", "production")
    if name not in CONFIGS:
        raise RuntimeError(f"REFERRAL_FLOW_ENV={name!r}: expected one of {', '.join(CONFIGS)}.")
    return CONFIGS[name]
