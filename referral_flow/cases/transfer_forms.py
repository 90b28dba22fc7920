"""The transfer forms of a case: asking for it, answering it, withdrawing it. The targets
offered are the open nodes of the right tree (``services.transfers.target_choices``), as a
list, or as a code to type when there are too many to list; the service stays the
authority on what makes sense."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..forms import (ChoiceField, Form, NoteField, NumberField, TextField, longest, optional,
                     required)
from ..labels import TRANSFER_KINDS
from ..models import Case, Organisation
from ..services.organisations import node_by_code
from ..services.transfers import target_choices

TARGETS = ("union", "party", "cell")


class TransferRequestForm(Form):
    version = NumberField(_l("Version"), validators=[required], low=1)
    kind = ChoiceField(_l("Why the candidate moves"), choices=TRANSFER_KINDS,
                       validators=[required])
    union_id = ChoiceField(_l("New grassroots union (new employer)"), coerce=int,
                           validators=[optional])
    union_code = TextField(_l("Code of the new grassroots union (new employer)"),
                           validators=[optional, longest(40)])
    party_id = ChoiceField(_l("New receiving Party organisation"), coerce=int,
                           validators=[optional])
    party_code = TextField(_l("Code of the new receiving Party organisation"),
                           validators=[optional, longest(40)])
    cell_id = ChoiceField(_l("New host cell"), coerce=int, validators=[optional])
    cell_code = TextField(_l("Code of the new host cell"), validators=[optional, longest(40)])
    reason = NoteField(_l("Reason"), validators=[required, longest(2000)])

    def validate(self, extra_validators=None) -> bool:
        """A typed code must name an organisation (whether it may receive the case is the
        service's to say)."""
        valid = super().validate(extra_validators)
        for name in TARGETS:
            field = self._fields.get(f"{name}_code")
            if field is not None and field.data and node_by_code(field.data) is None:
                field.errors = [*field.errors, _l("No organisation has this code.")]
                valid = False
        return valid

    def targets(self) -> dict:
        found = {}
        for name in TARGETS:
            if f"{name}_id" in self:
                found[f"{name}_id"] = self[f"{name}_id"].data
            elif f"{name}_code" in self:
                node = node_by_code(self[f"{name}_code"].data) if self[f"{name}_code"].data \
                    else None
                found[f"{name}_id"] = node.id if node is not None else None
        return found


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
    for name in TARGETS:
        listed = choices.get(name)
        if name not in choices or listed is None:
            del form[f"{name}_id"]
        else:
            form[f"{name}_id"].choices = [("", "—")] + [(n.id, _label(n)) for n in listed]
        if name not in choices or listed is not None:
            del form[f"{name}_code"]
    if "party_id" not in form and "party_code" not in form:
        form["union_id" if "union_id" in form else "union_code"].validators = [required]
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
