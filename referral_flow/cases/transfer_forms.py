"""The transfer forms of a case: asking for it, answering it, withdrawing it. The targets
offered are the open nodes of the right tree (``services.transfers.target_choices``); the
service stays the authority on what makes sense."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..forms import ChoiceField, Form, NoteField, NumberField, longest, optional, required
from ..labels import TRANSFER_KINDS
from ..models import Case, Organisation
from ..services.transfers import target_choices


class TransferRequestForm(Form):
    version = NumberField(_l("Version"), validators=[required], low=1)
    kind = ChoiceField(_l("Why the candidate moves"), choices=TRANSFER_KINDS,
                       validators=[required])
    union_id = ChoiceField(_l("New grassroots union (new employer)"), coerce=int,
                           validators=[optional])
    party_id = ChoiceField(_l("New receiving Party organisation"), coerce=int,
                           validators=[optional])
    cell_id = ChoiceField(_l("New host cell"), coerce=int, validators=[optional])
    reason = NoteField(_l("Reason"), validators=[required, longest(2000)])

    def targets(self) -> dict:
        return {f"{name}_id": self[f"{name}_id"].data for name in ("union", "party", "cell")
                if f"{name}_id" in self}


class TransferAnswerForm(Form):
    version = NumberField(_l("Version"), validators=[required], low=1)
    note = NoteField(_l("Note (required to refuse)"), validators=[optional, longest(2000)])


class TransferWithdrawForm(Form):
    version = NumberField(_l("Version"), validators=[required], low=1)
    note = NoteField(_l("Reason for withdrawing"), validators=[required, longest(2000)])


def _label(node: Organisation) -> str:
    parent = f" ({node.parent.name})" if node.parent is not None else ""
    return f"{node.name}{parent}"


def transfer_request_form(case: Case, formdata=None) -> TransferRequestForm:
    """The request form of ``case``: a draft chooses a union, a case with the Party any of
    the three; blank with the case's version, or bound to what was posted."""
    form = TransferRequestForm(formdata=formdata, prefix="transfer")
    choices = target_choices(case)
    for name in ("union", "party", "cell"):
        field = f"{name}_id"
        if name not in choices:
            del form[field]
            continue
        form[field].choices = [("", "—")] + [(n.id, _label(n)) for n in choices[name]]
    if "party_id" not in form:
        form.union_id.validators = [required]
    if formdata is None:
        form.version.data = case.version
    return form


def answer_form(case: Case, formdata=None) -> TransferAnswerForm:
    form = TransferAnswerForm(formdata=formdata, prefix="answer")
    if formdata is None:
        form.version.data = case.version
    return form


def withdraw_form(case: Case, formdata=None) -> TransferWithdrawForm:
    form = TransferWithdrawForm(formdata=formdata, prefix="withdraw-transfer")
    if formdata is None:
        form.version.data = case.version
    return form
