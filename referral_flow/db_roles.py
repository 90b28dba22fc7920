"""The application's PostgreSQL role in production: it owns nothing.

The owner role runs the migrations and owns every table; the application connects as another
role that may read and write rows but, not being the owner, cannot ALTER a table, DISABLE its
triggers or DROP it. On append-only tables it may only SELECT and INSERT, so the audit trail's
triggers are a second line, not the only one. ``flask db grant-app-role ROLE``, run by the owner
after each ``db upgrade``, grants exactly this (and the same for tables created later).
"""
from __future__ import annotations

import re

from sqlalchemy import text
from sqlalchemy.engine import Connection

# Tables the application appends to and never changes.
APPEND_ONLY_TABLES = ("audit_event", "read_event", "read_subject", "scan")
# Tables only the migrations write.
MIGRATION_TABLES = ("alembic_version",)
ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class RoleRefused(Exception):
    """The role cannot serve as the application's role (missing, superuser, or an owner)."""


def grant_statements(conn: Connection, role: str) -> list[str]:
    """The statements that make ``role`` the application's role on ``conn``'s database;
    the connected user is the owner whose future tables the default privileges cover."""
    if not ROLE_NAME.match(role):
        raise RoleRefused(f"{role!r} is not a plain role name (lower case, digits, _)")
    found = conn.execute(text(
        "SELECT rolsuper, (SELECT count(*) FROM pg_class c WHERE c.relowner = r.oid "
        "AND c.relnamespace = 'public'::regnamespace) FROM pg_roles r WHERE rolname = :r"),
        {"r": role}).one_or_none()
    if found is None:
        raise RoleRefused(f"role {role} does not exist (CREATE ROLE {role} LOGIN PASSWORD …)")
    superuser, owned = found
    if superuser or owned:
        raise RoleRefused(f"role {role} is a superuser or owns {owned} objects: the "
                          "application's role must own nothing")
    owner, database = conn.execute(text("SELECT current_user, current_database()")).one()
    q = conn.dialect.identifier_preparer.quote
    r, o = q(role), q(owner)
    return [
        f"GRANT CONNECT ON DATABASE {q(database)} TO {r}",
        f"GRANT USAGE ON SCHEMA public TO {r}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {r}",
        *(f"REVOKE UPDATE, DELETE, TRUNCATE ON {t} FROM {r}" for t in APPEND_ONLY_TABLES),
        *(f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {t} FROM {r}" for t in MIGRATION_TABLES),
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {r}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {o} IN SCHEMA public "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {r}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {o} IN SCHEMA public "
        f"GRANT USAGE, SELECT ON SEQUENCES TO {r}",
    ]
