"""The second factor of sign-in (TOTP, RFC 6238) and its one-time recovery codes.

A code is checked against the real time (``clock.wall_clock``: the user's authenticator
knows no pinned date), one step either side (``valid_window=1``), and the step accepted is
kept so that the same code is never accepted twice. Recovery codes carry 80 random bits,
so a salted SHA-256 suffices to store them; each is spent once. Who must have a second
factor is the administrator's per-role policy (``SecondFactorPolicy``).
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date

import pyotp
import segno
from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import delete, func, or_, select, update

from .. import clock
from ..extensions import db
from ..models import (EndReason, RecoveryCode, Role, RoleGrant, SecondFactorPolicy, TotpFactor,
                      User)
from . import audit
from .sealed import seal, unseal
from .sessions import end_sessions

RECOVERY_CODES = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"      # no 0/o, 1/l/i to misread
RECOVERY_LENGTH = 16                                        # 16 × log2(31) ≈ 79 bits
PENDING_SECONDS = 15 * 60       # time to scan the QR code and type the first code


# --- enrolment ----------------------------------------------------------------------------

def new_secret() -> str:
    return pyotp.random_base32()


def _pending_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="second-factor-enrol")


def pending_token(user: User, secret: str) -> str:
    """The proposed secret, signed for this user, carried by the enrolment form: nothing
    is written before the user confirms with a code (a GET changes nothing)."""
    return _pending_serializer().dumps({"user": user.id, "secret": secret})


def pending_secret(user: User, token: str) -> str | None:
    """The secret of ``token`` if it was proposed to this user in the last 15 minutes."""
    try:
        data = _pending_serializer().loads(token or "", max_age=PENDING_SECONDS)
    except BadData:
        return None
    if not isinstance(data, dict) or data.get("user") != user.id:
        return None
    secret = data.get("secret")
    return secret if isinstance(secret, str) else None


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.username,
                                               issuer_name=current_app.config["MFA_ISSUER"])


def qr_data_uri(user: User, secret: str) -> str:
    """The enrolment QR code, drawn here as SVG (the page loads no image from elsewhere)."""
    return segno.make(provisioning_uri(user, secret), error="m").svg_data_uri(
        scale=5, border=4, dark="#000", light="#fff")


@dataclass
class Proposal:
    """A secret offered for enrolment: as text to type, as a QR code, and signed for the
    confirmation form."""
    secret: str
    qr: str
    token: str

    @property
    def grouped(self) -> str:
        return " ".join(self.secret[i:i + 4] for i in range(0, len(self.secret), 4))


def propose(user: User, token: str | None = None) -> Proposal:
    """The secret of ``token`` again (a refused code keeps the QR code already scanned
    valid), or a new one."""
    secret = (pending_secret(user, token) if token else None) or new_secret()
    return Proposal(secret, qr_data_uri(user, secret), pending_token(user, secret))


def _matching_step(secret: str, code: str, floor: int | None) -> int | None:
    """The time step (current, previous or next) whose code is ``code`` and later than
    ``floor``; None when there is none."""
    totp = pyotp.TOTP(secret)
    now = totp.timecode(clock.wall_clock())
    for step in (now - 1, now, now + 1):
        if (floor is None or step > floor) and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def enrol(user: User, secret: str, code: str) -> list[str] | None:
    """Make ``secret`` the user's authenticator once ``code`` proves it is set up (any
    earlier one and its recovery codes are replaced); the new recovery codes, shown once;
    None when the code does not match."""
    step = _matching_step(secret, digits(code), None)
    if step is None:
        return None
    factor = db.session.get(TotpFactor, user.id) or TotpFactor(user_id=user.id)
    factor.secret, factor.last_step, factor.enrolled_at = seal(secret), step, clock.now()
    db.session.add(factor)
    codes = _replace_recovery_codes(user)
    audit.append(trigger="mfa_enrol", subject="user", actor_id=user.id,
                 data={"user_id": user.id, "username": user.username})
    return codes


def is_enrolled(user: User) -> bool:
    return db.session.get(TotpFactor, user.id) is not None


def enrolled_at(user: User):
    factor = db.session.get(TotpFactor, user.id)
    return factor.enrolled_at if factor else None


def reset(user: User, actor: User) -> None:
    """An administrator's re-enrolment: the authenticator and recovery codes are removed
    and the user's sessions end, so he signs in again and (if required) enrols."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.execute(delete(TotpFactor).where(TotpFactor.user_id == user.id))
    end_sessions(user, EndReason.ended_by_admin)
    audit.append(trigger="mfa_reset", subject="user", actor_id=actor.id,
                 data={"user_id": user.id, "username": user.username})


# --- codes at sign-in ----------------------------------------------------------------------

def digits(code: str) -> str:
    return "".join(code.split())


def _recovery_form(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def check_code(user: User, code: str) -> str | None:
    """Accept a current authenticator code or an unused recovery code (spent by this);
    "totp" or "recovery" for what was accepted, None when neither."""
    factor = db.session.get(TotpFactor, user.id)
    if factor is None:
        return None
    typed = digits(code)
    if typed.isdigit() and len(typed) == 6:
        step = _matching_step(unseal(factor.secret), typed, factor.last_step)
        if step is None:
            return None
        # Compare-and-set: two requests with the same code cannot both win.
        taken = db.session.execute(
            update(TotpFactor).where(TotpFactor.user_id == user.id,
                                     TotpFactor.last_step == factor.last_step)
            .values(last_step=step).execution_options(synchronize_session=False))
        db.session.refresh(factor)
        return "totp" if taken.rowcount == 1 else None
    return "recovery" if _spend_recovery_code(user, _recovery_form(code)) else None


# --- recovery codes ------------------------------------------------------------------------

def _hash(code: str, salt: str) -> str:
    return f"sha256${salt}${hashlib.sha256((salt + code).encode()).hexdigest()}"


def _matches(code: str, stored: str) -> bool:
    _, salt, _ = stored.split("$", 2)
    return hmac.compare_digest(_hash(code, salt), stored)


def shown(code: str) -> str:
    """xxxx-xxxx-xxxx-xxxx, as the user copies it down."""
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def _replace_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = ["".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
             for _ in range(RECOVERY_CODES)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash(c, secrets.token_hex(16)))
                       for c in codes)
    db.session.flush()
    return [shown(c) for c in codes]


def regenerate_recovery_codes(user: User, code: str) -> list[str] | None:
    """New recovery codes (the old ones stop working) once a current code is given."""
    if check_code(user, code) != "totp":
        return None
    codes = _replace_recovery_codes(user)
    audit.append(trigger="mfa_recovery_codes", subject="user", actor_id=user.id,
                 data={"user_id": user.id, "username": user.username})
    return codes


def _spend_recovery_code(user: User, code: str) -> bool:
    unused = db.session.scalars(select(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))).all()
    found = next((r for r in unused if _matches(code, r.code_hash)), None)
    if found is None:
        return False
    spent = db.session.execute(
        update(RecoveryCode).where(RecoveryCode.id == found.id, RecoveryCode.used_at.is_(None))
        .values(used_at=clock.now()).execution_options(synchronize_session=False))
    if spent.rowcount != 1:
        return False
    audit.append(trigger="mfa_recovery_used", subject="user", actor_id=user.id,
                 data={"user_id": user.id, "username": user.username})
    return True


def recovery_codes_left(user: User) -> int:
    return db.session.scalar(select(func.count(RecoveryCode.id)).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)))


# --- who must have one ---------------------------------------------------------------------

def policy() -> dict[Role, bool]:
    """Every role and whether it must sign in with a second factor (a role the table does
    not name must: the safe side)."""
    stored = {p.role: p.required for p in db.session.scalars(select(SecondFactorPolicy))}
    return {role: stored.get(role, True) for role in Role}


def required_for(user: User, day: date) -> bool:
    rules = policy()
    return any(rules[g.role] for g in user.active_grants(day))


def set_policy(required: dict[Role, bool], actor: User) -> tuple[list[str], int]:
    """Store the roles' requirements: the roles changed (audited), sorted, and how many
    users were signed out because a role of theirs now requires a second factor they have
    not set up (they enrol at their next sign-in; the administrator acting is spared)."""
    before = policy()
    changed = sorted(role.value for role, value in required.items() if before[role] != value)
    for role in changed:
        db.session.merge(SecondFactorPolicy(role=Role(role), required=required[Role(role)]))
    now_required = [Role(r) for r in changed if required[Role(r)]]
    lacking = _holders_without_second_factor(now_required, clock.today()) - {actor.id}
    for user in db.session.scalars(select(User).where(User.id.in_(lacking))):
        end_sessions(user, EndReason.mfa_required)
    if changed:
        audit.append(trigger="mfa_policy", subject="second_factor_policy", actor_id=actor.id,
                     data={"changed": {r: required[Role(r)] for r in changed},
                           "signed_out": sorted(lacking)})
    db.session.flush()
    return changed, len(lacking)


def _holders_without_second_factor(roles: list[Role], day: date) -> set[int]:
    """Users holding one of ``roles`` on ``day`` who have no authenticator."""
    if not roles:
        return set()
    return set(db.session.scalars(
        select(RoleGrant.user_id).where(
            RoleGrant.role.in_(roles), RoleGrant.valid_from <= day,
            or_(RoleGrant.valid_to.is_(None), RoleGrant.valid_to >= day),
            RoleGrant.user_id.not_in(select(TotpFactor.user_id)))))


def make_optional_for_all() -> None:
    """The demo's policy: nobody needs an authenticator to try it."""
    for role in Role:
        db.session.merge(SecondFactorPolicy(role=role, required=False))
    db.session.flush()
