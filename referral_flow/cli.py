"""Flask commands: demo load, users create, audit verify, rules show."""
from __future__ import annotations

import json


import click
from flask import Flask, current_app
from flask.cli import AppGroup
from flask_babel import force_locale
from sqlalchemy import select

from . import clock
from .extensions import db
from .models import Organisation, Role, RoleGrant, RuleSet, User
from .security import passwords

demo_cli = AppGroup("demo", help="Demonstration data.")
users_cli = AppGroup("users", help="User accounts.")
audit_cli = AppGroup("audit", help="The audit trail.")
rules_cli = AppGroup("rules", help="Rule sets.")


@demo_cli.command("load")
def demo_load():
    """Load the demo province (idempotent; refused under the production configuration)."""
    if not current_app.config.get("DEMO_ALLOWED"):
        raise click.ClickException("demo data is refused under the production configuration")
    from .demo import load
    created = load()
    db.session.commit()
    click.echo("demo data loaded" if created else "demo data already present; nothing changed")
    if created:
        click.echo("second factor (MFA): optional for every role in this demo database; "
                   "an administrator can require it per role under Quản trị → Xác thực hai lớp")


@users_cli.command("create")
@click.option("--username", prompt=True)
@click.option("--full-name", prompt=True)
@click.option("--role", prompt=True, type=click.Choice([r.value for r in Role]))
@click.option("--org", "org_code", default="", prompt="Organisation code (empty for none)")
@click.password_option()
def users_create(username, full_name, role, org_code, password):
    """Create a user with one role grant; the password is prompted, never defaulted."""
    reason = passwords.problem(password, (username, full_name))
    if reason is not None:
        with force_locale("en"):        # the language of every command's messages
            raise click.ClickException(f"password refused: {reason}")
    if db.session.scalar(select(User).where(User.username == username)):
        raise click.ClickException(f"user {username!r} already exists")
    org = None
    if org_code:
        org = db.session.scalar(select(Organisation).where(Organisation.code == org_code))
        if org is None:
            raise click.ClickException(f"no organisation with code {org_code!r}")
    elif role not in (Role.administrator.value, Role.member.value):
        raise click.ClickException("this role needs an organisation code")
    user = User(username=username, full_name=full_name)
    user.set_password(password)
    user.grants.append(RoleGrant(role=Role(role), org=org, valid_from=clock.today()))
    db.session.add(user)
    db.session.commit()
    click.echo(f"created {username} ({role})")


@audit_cli.command("verify")
def audit_verify():
    """Verify the hash chain; exit non-zero naming the first bad event."""
    from .services.audit import verify
    report = verify()
    if not report.ok:
        click.echo(f"audit chain BROKEN at event {report.bad_event_id}: {report.problem} "
                   f"({report.checked} events verified before it)", err=True)
        raise SystemExit(1)
    click.echo(f"audit chain intact: {report.checked} events")


@rules_cli.command("show")
def rules_show():
    """Print every rule set with its effective date and parameters."""
    for rs in db.session.scalars(select(RuleSet).order_by(RuleSet.effective_from)):
        click.echo(f"{rs.code}  in force from {rs.effective_from:%d/%m/%Y}  {rs.title}")
        for key, value in sorted(rs.params.items()):
            click.echo(f"    {key} = {json.dumps(value, ensure_ascii=False)}")


def register(app: Flask) -> None:
    for group in (demo_cli, users_cli, audit_cli, rules_cli):
        app.cli.add_command(group)
