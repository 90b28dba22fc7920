"""Accounts and their role grants: create an account, activate or deactivate it, set its
work contact, grant a role on an organisation (with the overlap and member-link rules) and
end a grant. Each change is audited and ends the account's sessions where what it may do
changed (it signs in again with what it now holds). Flushes, never commits; a broken rule
raises ``Refused`` (messages by form field)."""
from __future__ import annotations

from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import EndReason, Member, Organisation, Role, RoleGrant, Tree, User
from ..text import InvalidValue, normalise_name, validate_citizen_id
from . import audit
from .organisations import node_by_code
from .refused import Problems, Refused
from .sessions import current_session, end_sessions

# Roles held on a union node; roles tied to no node (the rest are held on a Party node).
UNION_ROLES = {Role.federation_officer, Role.union_chair}
UNTIED_ROLES = {Role.administrator, Role.member}


def create_user(*, username: str, full_name: str, password: str, work_phone: str = "",
                work_email: str = "", actor_id: int | None) -> User:
    """A new account that must choose its own password at its first sign-in."""
    problems = Problems()
    try:
        full_name = normalise_name(full_name)
    except InvalidValue as exc:
        problems.add("full_name", str(exc))
    if db.session.scalar(select(User.id).where(User.username == username)):
        problems.add("username", _l("This username is already taken."))
    problems.raise_any()
    user = User(username=username, full_name=full_name, work_phone=work_phone or "",
                work_email=work_email or "", must_change_password=True)
    user.set_password(password)
    try:
        with db.session.begin_nested():
            db.session.add(user)
            db.session.flush()
    except IntegrityError:      # a concurrent request took the username
        raise Refused.on("username", _l("This username is already taken.")) from None
    audit.append(trigger="create", subject="user", actor_id=actor_id,
                 data={"user_id": user.id, "username": user.username,
                       "full_name": user.full_name})
    return user


def set_active(user: User, active: bool, *, actor: User) -> None:
    """Activate or deactivate ``user``; a deactivated account's sessions end at once."""
    if user.id == actor.id and not active:
        raise Refused.on("active", _l("You cannot deactivate your own account."))
    user.active = active
    if not active:
        end_sessions(user, EndReason.deactivated)
    audit.append(trigger="activate" if active else "deactivate", subject="user",
                 actor_id=actor.id, data={"user_id": user.id, "username": user.username})


def set_contact(user: User, *, work_phone: str, work_email: str,
                actor_id: int | None) -> list[str]:
    """The work phone and e-mail candidates see; returns the names of the fields changed."""
    values = {"work_phone": work_phone or "", "work_email": work_email or ""}
    changed = sorted(k for k, v in values.items() if getattr(user, k) != v)
    for name in changed:
        setattr(user, name, values[name])
    if changed:
        audit.append(trigger="contact", subject="user", actor_id=actor_id,
                     data={"user_id": user.id, "username": user.username, "fields": changed})
    return changed


def cut_sessions(user: User, reason: EndReason, *, actor: User) -> list[int]:
    """End the account's sessions; an administrator acting on his own account keeps the
    session he is using."""
    keep = current_session(actor) if user.id == actor.id else None
    return end_sessions(user, reason, keep=keep)


def sign_out_everywhere(user: User, *, actor: User) -> list[int]:
    ended = cut_sessions(user, EndReason.ended_by_admin, actor=actor)
    audit.append(trigger="end_sessions", subject="user", actor_id=actor.id,
                 data={"user_id": user.id, "username": user.username, "sessions": ended})
    return ended


def _grant_node(problems: Problems, role: Role, org_code: str, start: date
                ) -> Organisation | None:
    if role in UNTIED_ROLES:
        if org_code:
            problems.add("org_code", _l("This role is not tied to an organisation; leave it "
                                        "empty."))
        return None
    if not org_code:
        problems.add("org_code", _l("This role needs an organisation."))
        return None
    org = node_by_code(org_code)
    tree = Tree.union if role in UNION_ROLES else Tree.party
    if org is None:
        problems.add("org_code", _l("No organisation has this code."))
    elif org.tree != tree:
        problems.add("org_code", _l("This role is held on a union organisation.")
                     if tree == Tree.union else _l("This role is held on a Party organisation."))
    elif not org.is_open_on(start):
        problems.add("org_code", _l("The organisation is not open on the start date."))
    return org


def _linked_member(problems: Problems, user: User, role: Role, citizen_id: str
                   ) -> Member | None:
    """The member a member-role account is linked to (by citizen ID)."""
    if role != Role.member:
        if citizen_id:
            problems.add("citizen_id", _l("Only for the member role."))
        return None
    if not citizen_id:
        if user.member_id is None:
            problems.add("citizen_id", _l("Give the member's citizen ID."))
        return None
    try:
        validate_citizen_id(citizen_id)
    except InvalidValue as exc:
        problems.add("citizen_id", str(exc))
        return None
    member = db.session.scalar(select(Member).where(Member.citizen_id == citizen_id))
    if member is None:
        problems.add("citizen_id", _l("No union member has this citizen ID."))
    elif db.session.scalar(select(User.id).where(User.member_id == member.id,
                                                 User.id != user.id)):
        problems.add("citizen_id", _l("Another account is already linked to this member."))
    return member


def overlaps(user: User, role: Role, org_id: int | None, start: date, end: date | None) -> bool:
    """Whether ``user`` already holds ``role`` on ``org_id`` some day of [start, end]."""
    return any(g.role == role and g.org_id == org_id
               and (g.valid_to is None or g.valid_to >= start)
               and (end is None or end >= g.valid_from) for g in user.grants)


def grant_role(user: User, *, role: Role, org_code: str = "", citizen_id: str = "",
               valid_from: date, valid_to: date | None, actor: User,
               cut: bool = True) -> RoleGrant:
    """Grant ``role`` on the node ``org_code`` (a member's role: linked to the member with
    ``citizen_id``) from ``valid_from`` to ``valid_to`` (None: open-ended). ``cut``: end
    the account's sessions (a reorganisation that only re-points a grant need not)."""
    problems = Problems()
    org = _grant_node(problems, role, org_code, valid_from)
    member = _linked_member(problems, user, role, citizen_id)
    problems.raise_any()
    if overlaps(user, role, org.id if org else None, valid_from, valid_to):
        raise Refused.on("role", _l("The account already holds this role here in that period."))
    grant = RoleGrant(role=role, org=org, valid_from=valid_from, valid_to=valid_to)
    user.grants.append(grant)
    if member is not None:
        user.member_id = member.id
    db.session.flush()
    audit.append(trigger="grant", subject="user", actor_id=actor.id,
                 data={"user_id": user.id, "grant_id": grant.id, "role": role.value,
                       "org": org.code if org else None, "valid_from": valid_from,
                       "valid_to": valid_to,
                       "member_id": user.member_id if role == Role.member else None})
    if cut:
        cut_sessions(user, EndReason.grants_changed, actor=actor)
    return grant


def end_grant(user: User, grant: RoleGrant, last_day: date, *, actor: User,
              cut: bool = True) -> None:
    """``grant`` counts up to ``last_day`` included."""
    if last_day < grant.valid_from:
        raise Refused.on("valid_to", _l("The end date is before the start date."))
    if grant.valid_to is not None and last_day >= grant.valid_to:
        raise Refused.on("valid_to", _l("This grant already ends on or before that day."))
    _set_end(user, grant, last_day, actor=actor, cut=cut)


def end_grant_now(user: User, grant: RoleGrant, today: date, *, actor: User) -> None:
    """End ``grant`` with immediate effect: its last day becomes yesterday, so it no longer
    counts today (a grant that started today thus never took effect)."""
    yesterday = today - timedelta(days=1)
    if grant.valid_to is not None and grant.valid_to <= yesterday:
        raise Refused.on("valid_to", _l("This grant is no longer in force."))
    _set_end(user, grant, yesterday, actor=actor, cut=True)


def _set_end(user: User, grant: RoleGrant, last_day: date, *, actor: User, cut: bool) -> None:
    """An administrator cannot end his own administrator role (he would lock himself out)."""
    if user.id == actor.id and grant.role == Role.administrator:
        raise Refused.on("valid_to", _l("You cannot end your own administrator role."))
    old, grant.valid_to = grant.valid_to, last_day
    audit.append(trigger="end_grant", subject="user", actor_id=actor.id,
                 data={"user_id": user.id, "grant_id": grant.id, "role": grant.role.value,
                       "org": grant.org.code if grant.org else None, "from": old,
                       "to": last_day})
    if cut:
        cut_sessions(user, EndReason.grants_changed, actor=actor)
