"""Today's date for the application. ``FROZEN_TODAY`` in the config pins it (browser
tests walk a case through 12 months of probation); nothing else should call date.today()."""
from __future__ import annotations

from datetime import date

from flask import current_app, has_app_context


def today() -> date:
    if has_app_context():
        frozen = current_app.config.get("FROZEN_TODAY")
        if frozen:
            return frozen
    return date.today()
