"""Checkpoints of the audit chain, kept outside the database.

A checkpoint is one line: the UTC time, the number of events, the last event's id, its hash
(the head), and an HMAC of those under the audit key. ``flask audit anchor`` appends one to
``AUDIT_ANCHOR_FILE`` (append mode, fsync) and, when ``AUDIT_ANCHOR_SYSLOG`` is set, sends it to
syslog; with ``AUDIT_ANCHOR_EVERY`` = N, the application also writes one whenever an event
whose id is a multiple of N commits. Compared with the latest checkpoint, a chain that lost
its newest events (truncation), lost older ones, or was re-chained up to the checkpoint no
longer matches, whoever wrote the table.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
from dataclasses import dataclass
from logging.handlers import SysLogHandler
from pathlib import Path

from flask import current_app
from sqlalchemy import event as sa_event
from sqlalchemy import func, select

from .. import clock
from ..extensions import db
from ..models import AuditEvent
from ..models.audit import audit_key
from .audit import lock_chain

PENDING = "audit_checkpoint"
LINE = re.compile(r"^(?P<at>\S+) events=(?P<count>\d+) last_id=(?P<last_id>\d+) "
                  r"head=(?P<head>[0-9a-f]{64}) hmac=(?P<mac>[0-9a-f]{64})$")


@dataclass(frozen=True)
class Checkpoint:
    at: str
    count: int
    last_id: int
    head: str

    def body(self) -> str:
        return f"{self.at} events={self.count} last_id={self.last_id} head={self.head}"

    def mac(self, key: bytes) -> str:
        # A prefix of its own, so that no checkpoint's HMAC can pass for an event's.
        return hmac.new(key, b"audit-checkpoint " + self.body().encode("utf-8"),
                        hashlib.sha256).hexdigest()

    def line(self, key: bytes) -> str:
        return f"{self.body()} hmac={self.mac(key)}"


class CheckpointRefused(Exception):
    """The latest checkpoint line cannot be trusted (unreadable, or its HMAC is wrong)."""


def take() -> Checkpoint:
    """The chain's head now; on PostgreSQL the chain lock holds appends off until commit."""
    head = lock_chain()
    count, last_id = db.session.execute(
        select(func.count(AuditEvent.id), func.max(AuditEvent.id))).one()
    return Checkpoint(_utc_now(), count, last_id or 0, head)


def _utc_now() -> str:
    return clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")


def schedule(event: AuditEvent) -> None:
    """A checkpoint at ``event`` (just appended under the chain lock), written once its
    transaction commits: never a checkpoint of an event that was rolled back."""
    count = db.session.scalar(select(func.count(AuditEvent.id))
                              .where(AuditEvent.id <= event.id))
    db.session.info[PENDING] = Checkpoint(_utc_now(), count, event.id, event.hash)


@sa_event.listens_for(db.session, "after_commit")
def _write_pending(session) -> None:
    checkpoint = session.info.pop(PENDING, None)
    if checkpoint is not None:
        try:
            write(checkpoint)
        except OSError:     # the step is committed; the next checkpoint (or cron) follows
            current_app.logger.exception("audit checkpoint not written")


@sa_event.listens_for(db.session, "after_soft_rollback")
def _drop_pending(session, _previous_transaction) -> None:
    # Any rollback, a savepoint's too (a previewed step): forget rather than anchor a ghost.
    session.info.pop(PENDING, None)


def anchor_file() -> Path:
    return Path(current_app.config["AUDIT_ANCHOR_FILE"])


def write(checkpoint: Checkpoint) -> str:
    """Append the checkpoint's line to the anchor file (and syslog); return the line."""
    line = checkpoint.line(audit_key())
    path = anchor_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as f:
        f.write(line + "\n")
        f.flush()
        os.fsync(f.fileno())
    target = current_app.config.get("AUDIT_ANCHOR_SYSLOG")
    if target:
        _to_syslog(target, line)
    return line


def _to_syslog(target: str, line: str) -> None:
    """``host:port`` (UDP) or a socket path such as ``/dev/log``."""
    if target.startswith("/"):
        address: str | tuple[str, int] = target
    else:
        host, _, port = target.rpartition(":")
        address = (host, int(port)) if host else (port, 514)
    handler = SysLogHandler(address=address, facility=SysLogHandler.LOG_AUTH)
    try:
        handler.emit(logging.makeLogRecord({
            "msg": f"referral_flow audit checkpoint {line}", "levelno": logging.INFO,
            "levelname": "INFO"}))
    finally:
        handler.close()


def latest() -> Checkpoint | None:
    """The file's last checkpoint, its HMAC checked; None when there is no file yet."""
    path = anchor_file()
    if not path.exists():
        return None
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not lines:
        return None
    m = LINE.match(lines[-1])
    if not m:
        raise CheckpointRefused(f"the latest checkpoint in {path} is unreadable: {lines[-1]!r}")
    checkpoint = Checkpoint(m["at"], int(m["count"]), int(m["last_id"]), m["head"])
    if not hmac.compare_digest(checkpoint.mac(audit_key()), m["mac"]):
        raise CheckpointRefused(f"the checkpoint of {checkpoint.at} in {path} is refused: its "
                                "HMAC does not match (the line was altered, or made with "
                                "another audit key)")
    return checkpoint


def compare(checkpoint: Checkpoint) -> list[str]:
    """What the chain lost or changed since the checkpoint ([] when it still holds it)."""
    since = f"since the checkpoint of {checkpoint.at}"
    upto, last_id = db.session.execute(
        select(func.count(AuditEvent.id).filter(AuditEvent.id <= checkpoint.last_id),
               func.max(AuditEvent.id))).one()
    head = db.session.scalar(select(AuditEvent.hash)
                             .where(AuditEvent.id == checkpoint.last_id))
    missing = checkpoint.count - upto
    if checkpoint.last_id and head is None and (last_id or 0) < checkpoint.last_id:
        return [f"{missing} events missing {since} (truncated): it recorded "
                f"{checkpoint.count} events up to event {checkpoint.last_id}; the chain now "
                f"ends at event {last_id or 0}, so the first missing event follows it"]
    problems = []
    if checkpoint.last_id and head is None:
        problems.append(f"event {checkpoint.last_id} is missing {since} (deleted)")
    elif head is not None and head != checkpoint.head:
        problems.append(f"event {checkpoint.last_id} differs from the checkpoint of "
                        f"{checkpoint.at}: the chain was rewritten (re-chained) up to it")
    if missing > 0:
        problems.append(f"{missing} events up to event {checkpoint.last_id} missing {since} "
                        f"(deleted): it recorded {checkpoint.count}, the chain has {upto}")
    elif missing < 0:
        problems.append(f"{-missing} events up to event {checkpoint.last_id} added {since} "
                        f"(inserted): it recorded {checkpoint.count}, the chain has {upto}")
    return problems
