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
    # A PostgreSQL read replica for the report pages (replica.py); empty: the primary.
    REPORTS_DATABASE_URL = os.environ.get("REPORTS_DATABASE_URL", "")
    REDIS_URL = os.environ.get("REDIS_URL")
    RATELIMIT_STORAGE_URI = os.environ.get("REDIS_URL", "memory://")
    RATELIMIT_DEFAULT = "600 per minute"
    # Background jobs (imports, large exports): on RQ when REDIS_URL is set (workers:
    # `flask jobs worker`), else in a thread of the web process. JOBS_TIMEOUT (seconds) ends a
    # job that runs too long; finished jobs and their files are kept JOBS_KEEP_DAYS days
    # (`flask jobs purge`).
    JOBS_MODE = os.environ.get("JOBS_MODE") or ("rq" if REDIS_URL else "thread")
    JOBS_QUEUE = os.environ.get("JOBS_QUEUE", "referral_flow")
    JOBS_TIMEOUT = int(os.environ.get("JOBS_TIMEOUT", "3600"))
    JOBS_KEEP_DAYS = int(os.environ.get("JOBS_KEEP_DAYS", "7"))
    # A case list longer than this is exported as a background job, not in the request.
    EXPORT_INLINE_ROWS = int(os.environ.get("EXPORT_INLINE_ROWS", "5000"))
    # Sign-in attempts per client address, and failed ones per account (F-3.4, F-3.5); with
    # several workers REDIS_URL must be set so that they count together.
    LOGIN_RATE_LIMIT = "10 per minute"
    LOGIN_ACCOUNT_RATE_LIMIT = "5 per minute; 20 per hour"
    # Neutral refusals of a citizen ID registered in another unit, per user (F-4.10).
    CITIZEN_ID_PROBE_LIMIT = "10 per day"
    # Reverse proxies in front of the app that add X-Forwarded-For (README: 1 behind the TLS
    # proxy); 0 ignores the header.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))
    # The second factor: the name authenticator apps show, the key that encrypts the TOTP
    # secrets (derived from SECRET_KEY when unset), how long the password step stays good
    # for the code, how many wrong codes end it, and how recent an authentication must be
    # for a bulk export of personal data.
    MFA_ISSUER = os.environ.get("MFA_ISSUER", "referral_flow")
    MFA_KEY = os.environ.get("MFA_KEY")
    SIGNIN_STEP_MINUTES = 5
    SIGNIN_CODE_TRIES = 5
    REAUTH_MINUTES = int(os.environ.get("REAUTH_MINUTES", "10"))
    BABEL_DEFAULT_LOCALE = "vi"
    BABEL_DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
    LANGUAGES = ("vi", "en")
    # Meets ASVS: pbkdf2-sha256 with at least 600,000 rounds.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:600000"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    WTF_CSRF_TIME_LIMIT = None
    # A session ends after this many minutes without a request, and this many hours after
    # sign-in whatever the activity (services/sessions.py).
    SESSION_IDLE_MINUTES = int(os.environ.get("SESSION_IDLE_MINUTES", "30"))
    SESSION_MAX_HOURS = int(os.environ.get("SESSION_MAX_HOURS", "12"))
    CASES_PER_PAGE = 50
    # A step that opens on a date (the recognition review at the end of probation) enters
    # the inbox's "to do" this many working days before, so the cell can gather documents.
    REVIEW_WINDOW_WORKING_DAYS = int(os.environ.get("REVIEW_WINDOW_WORKING_DAYS", "20"))
    DEMO_ALLOWED = False
    TESTING = False
    # The audit chain's HMAC key, kept out of the database (see ``audit_key``).
    AUDIT_KEY = os.environ.get("AUDIT_KEY")
    AUDIT_KEY_FILE = os.environ.get("AUDIT_KEY_FILE")
    # Events with a lower id were written before the key existed (plain SHA-256); 1: all keyed.
    AUDIT_KEYED_FROM_ID = int(os.environ.get("AUDIT_KEYED_FROM_ID", "1"))
    # Checkpoints of the chain outside the database: a file, and optionally syslog.
    AUDIT_ANCHOR_FILE = os.environ.get("AUDIT_ANCHOR_FILE", str(INSTANCE / "audit-anchors.log"))
    AUDIT_ANCHOR_SYSLOG = os.environ.get("AUDIT_ANCHOR_SYSLOG")
    # Also a checkpoint whenever an event whose id is a multiple of this commits (0: cron only).
    AUDIT_ANCHOR_EVERY = int(os.environ.get("AUDIT_ANCHOR_EVERY", "0"))
    AUDIT_ANCHOR_REQUIRED = True    # verify fails without a checkpoint (a warning in dev/tests)
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
    # The largest spreadsheet an import reads (roster, trees), in bytes: a 10,000-member
    # XLSX is about 0.6 MB, the same as CSV about 1.2 MB.
    IMPORT_MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES", "10000000"))
    # The signed scans of the papers (PDF, JPEG, PNG): the largest one accepted, in bytes
    # (keep it below MAX_CONTENT_LENGTH), and the directory that keeps them, outside the
    # web root, each file named by its SHA-256; created on demand. Back it up with the
    # database: the database names the files, the directory holds them.
    SCAN_MAX_BYTES = int(os.environ.get("SCAN_MAX_BYTES", "10000000"))
    SCANS_DIR = os.environ.get("SCANS_DIR", str(INSTANCE / "scans"))


def pinned_date(name: str) -> date | None:
    """A date from the environment (YYYY-MM-DD), to pin the application's today."""
    value = os.environ.get(name)
    return date.fromisoformat(value) if value else None


class DevelopmentConfig(Config):
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-not-secret")
    AUDIT_KEY = os.environ.get("AUDIT_KEY", "dev-only-audit-key-not-secret-0000")
    AUDIT_ANCHOR_REQUIRED = False
    DEMO_ALLOWED = True
    # Try later steps of the demo (probation, recognition) on another day; never in production.
    FROZEN_TODAY = pinned_date("REFERRAL_FLOW_TODAY")


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing"
    AUDIT_KEY = "testing-audit-key-not-secret-00000"
    AUDIT_ANCHOR_REQUIRED = False
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    # Fast hashing in tests only; production strength is asserted by a test.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
    WTF_CSRF_ENABLED = True
    RATELIMIT_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"
    DEMO_ALLOWED = True
    # A test posts the form and reads the job's result at once; the RQ and thread backends
    # have their own tests.
    JOBS_MODE = "inline"


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


AUDIT_KEY_MIN_LENGTH = 32


def audit_key(config) -> bytes:
    """The audit key as bytes: the file ``AUDIT_KEY_FILE`` names, else ``AUDIT_KEY``.

    Refuses to go on without one (production has no default) or with a short one."""
    path = config.get("AUDIT_KEY_FILE")
    try:
        key = Path(path).read_text(encoding="utf-8").strip() if path else config.get("AUDIT_KEY")
    except OSError as err:
        raise RuntimeError(f"AUDIT_KEY_FILE cannot be read: {err}") from err
    if not key:
        raise RuntimeError("AUDIT_KEY or AUDIT_KEY_FILE must be set in the environment for "
                           "this configuration (the audit chain's HMAC key, kept out of the "
                           "database).")
    if len(key) < AUDIT_KEY_MIN_LENGTH:
        raise RuntimeError(f"The audit key must have at least {AUDIT_KEY_MIN_LENGTH} "
                           "characters (e.g. python -c 'import secrets; "
                           "print(secrets.token_hex(32))').")
    return key if isinstance(key, bytes) else key.encode("utf-8")


def config_from_env() -> type[Config]:
    """The configuration REFERRAL_FLOW_ENV names; production when it is unset (F-10.1): a
    server started without it refuses to run without a strong SECRET_KEY instead of running
    as development with a published key. `make demo` and the test tools name theirs."""
    name = os.environ.get("REFERRAL_FLOW_ENV", "production")
    if name not in CONFIGS:
        raise RuntimeError(f"REFERRAL_FLOW_ENV={name!r}: expected one of {', '.join(CONFIGS)}.")
    return CONFIGS[name]
