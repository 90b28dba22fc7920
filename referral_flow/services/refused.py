"""What a service raises when a rule refuses its input: every message at once, each by the
name of the form field (or value) it is about, so a screen shows it next to the field and
an import shows it next to the column."""
from __future__ import annotations


class Refused(ValueError):
    """``errors``: field name -> messages (lazy strings, translated when shown)."""

    def __init__(self, errors: dict[str, list]):
        super().__init__(errors)
        self.errors = errors

    def __str__(self) -> str:
        """The messages, translated now (in the request's language)."""
        return "; ".join(str(m) for messages in self.errors.values() for m in messages)

    @classmethod
    def on(cls, field: str, message) -> Refused:
        return cls({field: [message]})


class Problems:
    """Collects the messages of one check; ``raise_any()`` raises them together."""

    def __init__(self) -> None:
        self.errors: dict[str, list] = {}

    def add(self, field: str, message) -> None:
        self.errors.setdefault(field, []).append(message)

    def __bool__(self) -> bool:
        return bool(self.errors)

    def raise_any(self) -> None:
        if self.errors:
            raise Refused(self.errors)
