"""Shared column helpers."""
from datetime import datetime

from .. import clock


def utcnow() -> datetime:
    """Column default: the application clock's current instant (UTC)."""
    return clock.now()
