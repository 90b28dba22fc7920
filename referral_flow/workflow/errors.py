"""Errors raised while firing a transition; ``str()`` is a message in the user's language."""


class WorkflowError(Exception):
    http_status = 422

    def __init__(self, message, form: str | None = None):
        super().__init__(message)
        self.message = message
        self.form = form        # the dossier form whose document would mend it, if any

    def __str__(self) -> str:
        return str(self.message)


class GuardFailed(WorkflowError):
    """A fact required by the rules does not hold."""


class InvalidStepData(WorkflowError):
    """The step data is missing or malformed."""


class NotAllowed(WorkflowError):
    http_status = 403


class NotAvailable(WorkflowError):
    """The trigger does not leave the case's current state."""
    http_status = 409


class Conflict(WorkflowError):
    """Someone else changed the case since the user loaded it."""
    http_status = 409
