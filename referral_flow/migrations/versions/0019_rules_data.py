"""Rules as data, carefully (issue 11 item 9; reviews-2026-11 domain.md R2, R11, R21, M4, M5):

- ``document_validity_months`` gains 1-KNĐ and 2-KNĐ at 12 months, as local procedures state
  for the application, the personal history, the introducer letters and the comments
  (tranphudn.edu.vn, 2019); the documents of those forms already recorded get their
  ``valid_until`` by the set in force on their date;
- ``form_labels``: the code printed on each form, by its stable key (every set prints the
  key itself today);
- ``thcs_required``: a lower-secondary (THCS) diploma or higher at the cell vote
  (24-QĐ/TW §1.2.1; "THCS or equivalent" under 29-QĐ/TW as well);
- ``to_confirm``: what is still unverified against the primary text: every document
  validity (06-HD/TW §5.4 not read), the printed codes of 12-, 13-, 15- and 16-KNĐ (two
  numberings in the sources; 12-HD/BTCTW 2022 appendix as corrected by 3028-CV/BTCTW not
  read) and, in 29-QĐ/TW, the figures its note says were taken from 24-QĐ/TW;
- the member's education (``education``, NULL: not recorded) and the Secretariat's
  exception (``education_exception``).

Revision ID: 0019_rules_data
Revises: 0017_node_history
"""
from datetime import date

import sqlalchemy as sa
from alembic import op

revision = "0019_rules_data"
down_revision = "0018_verification"
branch_labels = None
depends_on = None

NEW_VALIDITY = {"1-KNĐ": 12, "2-KNĐ": 12}
FORM_KEYS = ("1-KNĐ", "2-KNĐ", "3-KNĐ", "4A-KNĐ", "5-KNĐ", "6-KNĐ", "8-KNĐ", "9-KNĐ",
             "10-KNĐ", "11-KNĐ", "12-KNĐ", "13-KNĐ", "15-KNĐ", "16-KNĐ")
UNSURE_LABELS = ["12-KNĐ", "13-KNĐ", "15-KNĐ", "16-KNĐ"]
# 29-QĐ/TW: "Chưa đối chiếu được với văn bản, lấy như 24-QĐ/TW" (migration 0014's note).
UNSURE_IN = {"29-QĐ/TW": {"certificate_validity_months": True, "introducer_min_months": True,
                          "min_introducer_letters": True}}
ADDED = ("form_labels", "thcs_required", "to_confirm")

rule_set = sa.table("rule_set", sa.column("id", sa.Integer), sa.column("code", sa.String),
                    sa.column("effective_from", sa.Date), sa.column("params", sa.JSON))
document = sa.table("document", sa.column("id", sa.Integer), sa.column("form_code", sa.String),
                    sa.column("issued_on", sa.Date), sa.column("valid_until", sa.Date))


def upgrade():
    with op.batch_alter_table("member") as batch:
        batch.add_column(sa.Column("education", sa.Enum(
            "primary", "lower_secondary", "upper_secondary", "higher", name="education",
            native_enum=False, length=16), nullable=True))
        batch.add_column(sa.Column("education_exception", sa.Text(), nullable=False,
                                   server_default=sa.text("''")))
    conn = op.get_bind()
    for row_id, code, params in conn.execute(
            sa.select(rule_set.c.id, rule_set.c.code, rule_set.c.params)).all():
        params = dict(params)
        validity = dict(params["document_validity_months"])
        for form, months in NEW_VALIDITY.items():
            validity.setdefault(form, months)
        params["document_validity_months"] = {
            form: validity[form] for form in sorted(validity, key=_form_order)}
        params.setdefault("form_labels", {key: key for key in FORM_KEYS})
        params.setdefault("thcs_required", True)
        params.setdefault("to_confirm", {
            "document_validity_months": sorted(validity), "form_labels": UNSURE_LABELS,
            **UNSURE_IN.get(code, {})})
        conn.execute(rule_set.update().where(rule_set.c.id == row_id).values(params=params))
    _date_new_validities(conn)


def _form_order(key: str) -> int:
    return FORM_KEYS.index(key) if key in FORM_KEYS else len(FORM_KEYS)


def _date_new_validities(conn):
    """``valid_until`` of the 1-/2-KNĐ documents already recorded, by the months of the set
    in force on each one's date (a document older than every set keeps none)."""
    sets = conn.execute(sa.select(rule_set.c.effective_from, rule_set.c.params)
                        .order_by(rule_set.c.effective_from.desc())).all()
    rows = conn.execute(sa.select(document.c.id, document.c.form_code, document.c.issued_on)
                        .where(document.c.form_code.in_(sorted(NEW_VALIDITY)),
                               document.c.valid_until.is_(None))).all()
    updates = []
    for doc_id, form, issued_on in rows:
        params = next((p for since, p in sets if since <= issued_on), None)
        months = params and params["document_validity_months"].get(form)
        if months:
            updates.append({"doc_id": doc_id, "until": _add_months(issued_on, months)})
    if updates:
        conn.execute(document.update().where(document.c.id == sa.bindparam("doc_id"))
                     .values(valid_until=sa.bindparam("until")), updates)


def _add_months(day: date, months: int) -> date:
    """workflow/calendar.add_months, frozen here: the same day ``months`` later, or the
    month's last day."""
    y, m = divmod(day.month - 1 + months, 12)
    for d in (day.day, 30, 29, 28):
        try:
            return date(day.year + y, m + 1, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def downgrade():
    conn = op.get_bind()
    conn.execute(document.update().where(document.c.form_code.in_(sorted(NEW_VALIDITY)))
                 .values(valid_until=None))
    for row_id, params in conn.execute(sa.select(rule_set.c.id, rule_set.c.params)).all():
        params = {k: v for k, v in params.items() if k not in ADDED}
        params["document_validity_months"] = {
            form: months for form, months in params["document_validity_months"].items()
            if form not in NEW_VALIDITY}
        conn.execute(rule_set.update().where(rule_set.c.id == row_id).values(params=params))
    with op.batch_alter_table("member") as batch:
        batch.drop_column("education_exception")
        batch.drop_column("education")
