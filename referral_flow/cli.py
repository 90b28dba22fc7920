"""Flask commands: demo load, users create, audit verify and anchor, rules show, jobs worker
and purge, tallies check, and the PostgreSQL grants of the application's role
(`db grant-app-role`)."""
from __future__ import annotations

import json


import click
from flask import Flask, current_app
from flask.cli import AppGroup
from flask_babel import force_locale
from flask_migrate.cli import db as migrate_cli
from sqlalchemy import select, text

from . import clock
from .extensions import db
from .models import Organisation, Role, RoleGrant, RuleSet, User
from .security import passwords

demo_cli = AppGroup("demo", help="Demonstration data.")
users_cli = AppGroup("users", help="User accounts.")
audit_cli = AppGroup("audit", help="The audit trail.")
rules_cli = AppGroup("rules", help="Rule sets.")
jobs_cli = AppGroup("jobs", help="Background jobs (imports, large exports).")
tallies_cli = AppGroup("tallies", help="The case counts per organisation and state, and the "
                                           "achievement figures per period.")


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


def _check_chain(first_checkpoint: bool = False) -> bool:
    """Walk the chain and compare it with the latest checkpoint; print what was found.
    ``first_checkpoint``: a missing checkpoint is no failure (the one about to be written
    is the first, e.g. right after set-up)."""
    from .services import audit_anchor
    from .services.audit import verify
    report = verify()
    if not report.ok:
        click.echo(f"audit chain BROKEN at event {report.bad_event_id}: {report.problem} "
                   f"({report.checked} events verified before it)", err=True)
    try:
        checkpoint = audit_anchor.latest()
    except audit_anchor.CheckpointRefused as refused:
        click.echo(f"audit checkpoint REFUSED: {refused}", err=True)
        return False
    problems = audit_anchor.compare(checkpoint) if checkpoint else []
    for problem in problems:
        click.echo(f"audit chain BROKEN against its checkpoint: {problem}", err=True)
    if report.ok and not problems:
        before_key = (f" ({report.unkeyed} written before the audit key, checked as plain "
                      "SHA-256)" if report.unkeyed else "")
        click.echo(f"audit chain intact: {report.checked} events{before_key}")
    if checkpoint is None:
        required = current_app.config["AUDIT_ANCHOR_REQUIRED"] and not first_checkpoint
        click.echo(f"{'audit checkpoint MISSING' if required else 'warning'}: no checkpoint in "
                   f"{audit_anchor.anchor_file()} (run flask audit anchor)", err=True)
        return report.ok and not required
    if not problems:
        click.echo(f"checkpoint of {checkpoint.at} holds: {checkpoint.count} events up to "
                   f"event {checkpoint.last_id}")
    return report.ok and not problems


@users_cli.command("purge-sessions")
@click.option("--days", default=90, show_default=True, type=click.IntRange(min=1),
              help="delete the records of sessions last used more than this many days ago")
def users_purge_sessions(days: int):
    """Delete old session records (ended or expired); run it from cron."""
    from .services.sessions import purge
    removed = purge(days)
    db.session.commit()
    click.echo(f"{removed} session records older than {days} days deleted")


@audit_cli.command("verify")
def audit_verify():
    """Verify the keyed chain against the latest checkpoint; exit non-zero on any problem,
    naming the first bad event."""
    if not _check_chain():
        raise SystemExit(1)


@audit_cli.command("anchor")
def audit_anchor():
    """Verify the chain, then append a checkpoint (count, last id, head, HMAC) to the anchor
    file (and syslog); a chain that fails verification is not anchored."""
    from .services.audit_anchor import take, write
    if not _check_chain(first_checkpoint=True):
        raise click.ClickException("the chain fails verification; no checkpoint written")
    line = write(take())
    db.session.rollback()       # releases the chain lock; nothing was written to the database
    click.echo(f"checkpoint written: {line}")


@tallies_cli.command("check")
@click.option("--fix", is_flag=True, help="Rewrite every count from the cases.")
def tallies_check(fix: bool):
    """Recompute the counts per state and the achievement figures per period from the
    cases and list every one that differs; exit non-zero when any does (with --fix,
    rewrite them and exit zero)."""
    from .services import kept_facts, tallies
    wrong = [f"{side} node {node_id} {state}: kept {kept}, recomputed {fresh}"
             for side, node_id, state, kept, fresh in tallies.differences()]
    wrong += kept_facts.differences(db.session.connection())
    for line in wrong:
        click.echo(line)
    if wrong and fix:
        tallies.rebuild()
        kept_facts.rebuild(db.session.connection())
        db.session.commit()
        click.echo(f"{len(wrong)} counts rewritten")
    elif wrong:
        raise click.ClickException(f"{len(wrong)} counts differ (rewrite them with --fix)")
    else:
        click.echo("every count agrees with the cases")


@rules_cli.command("show")
def rules_show():
    """Print every rule set with its effective date and parameters; a value not yet
    checked against the primary text is marked "TO CONFIRM (cần xác nhận)"."""
    from .workflow.rulesets import TO_CONFIRM, unconfirmed
    for rs in db.session.scalars(select(RuleSet).order_by(RuleSet.effective_from)):
        click.echo(f"{rs.code}  in force from {rs.effective_from:%d/%m/%Y}  {rs.title}")
        for key, value in sorted(rs.params.items()):
            if key == TO_CONFIRM:
                continue
            mark = unconfirmed(rs.params, key)
            shown = f"    {key} = {json.dumps(value, ensure_ascii=False)}"
            if mark:
                which = "" if mark is True else ": " + ", ".join(mark)
                shown += f"    [TO CONFIRM (cần xác nhận){which}]"
            click.echo(shown)


@click.command("grant-app-role")
@click.argument("role")
@click.option("--print-only", is_flag=True, help="Print the statements; run nothing.")
def grant_app_role(role, print_only):
    """Run as the owner (PostgreSQL): let ROLE, which owns nothing, read and write the app's
    tables, only SELECT and INSERT the audit trail; re-run after each db upgrade."""
    from .db_roles import RoleRefused, grant_statements
    if db.engine.dialect.name != "postgresql":
        raise click.ClickException("database roles are for PostgreSQL only")
    try:
        statements = grant_statements(db.session.connection(), role)
    except RoleRefused as refused:
        raise click.ClickException(str(refused)) from None
    for statement in statements:
        click.echo(f"{statement};")
        if not print_only:
            db.session.execute(text(statement))
    db.session.commit()


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="stop when the queue is empty")
def jobs_worker(burst: bool):
    """Run the queued jobs (needs REDIS_URL); start as many as needed, on any machine that
    reaches the same Redis and database."""
    from .jobs.worker import work
    try:
        work(burst=burst)
    except RuntimeError as problem:
        raise click.ClickException(str(problem)) from problem


@jobs_cli.command("purge")
@click.option("--days", default=None, type=click.IntRange(min=1),
              help="delete jobs finished more than this many days ago [JOBS_KEEP_DAYS]")
def jobs_purge(days: int | None):
    """Delete old jobs and their files (uploads and results hold personal records); run it
    from cron."""
    from .jobs.worker import purge
    days = days or current_app.config["JOBS_KEEP_DAYS"]
    removed = purge(days)
    db.session.commit()
    click.echo(f"{removed} jobs finished more than {days} days ago deleted")


def register(app: Flask) -> None:
    for group in (demo_cli, users_cli, audit_cli, rules_cli, jobs_cli, tallies_cli):
        app.cli.add_command(group)
    migrate_cli.add_command(grant_app_role)
