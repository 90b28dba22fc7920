"""The rule set of Quy định 29-QĐ/TW (25/7/2016) and Hướng dẫn 01-HD/TW (20/9/2016), in
force until 24-QĐ/TW (30/7/2021): cases already under way at go-live (issue 10 item 5) have
steps dated before 2021, and each step is judged by the set in force on its date.

What the texts say (shared/reference/domain-research.md §1, §3 S13–S16; reviews-2026-11
domain.md R1, R14, R16, R18):
- age at the cell vote 18 to 60, counted in months: the same wording in 29-QĐ/TW §1.1;
- decision within 60 working days of the cell's resolution, + up to 30 (29-QĐ/TW §4.3.1);
- ceremony within 30 working days of receiving the decision, later only with the superior
  committee's agreement (29-QĐ/TW §4.1);
- the cell reviews recognition within 30 working days after the 12 months of probation
  (29-QĐ/TW §4.2a); the superior decides within 30 working days, + up to 30 (§4.3.1);
- the 2/3 thresholds of the cell and of the committee and the 12 months of probation are
  the Charter's (2011), unchanged.
Where the texts read give no figure, the values are those of 24-QĐ/TW, in doubt:
- certificate validity 60 months: 06-HD/TW §5.4 says so for 2025; for 2016–2021 only
  local lists ("5 năm", 2019) were found, not 01-HD/TW (2016) itself;
- document validity 12 months (3-, 4A-, 5-KNĐ): from a 2019 local list only;
- introducer's 12 months together, one letter beside the union's 4A-KNĐ, the youth route
  (Charter Art. 4.1) and the union committee's majority: not found in the 2016 texts read;
- form codes are not rule-set data: 4A-KNĐ is attested under 09-HD/BTCTW (5/6/2017); the
  forms manual before it (12-HD/BTCTW, 2012) was not read.
Education ("THCS or equivalent" until 2021) is not checked by any set.

Revision ID: 0014_case_intake
Revises: 0013_jobs
"""
from datetime import date

import sqlalchemy as sa
from alembic import op

revision = "0014_case_intake"
down_revision = "0013_jobs"
branch_labels = None
depends_on = None

CODE = "29-QĐ/TW"

# Frozen here as this revision's data (the same figures as 24-QĐ/TW, see above).
_PARAMS = {
    "union_vote": {"num": 1, "den": 2, "strict": True},
    "cell_vote": {"num": 2, "den": 3, "strict": False},
    "committee_vote": {"num": 2, "den": 3, "strict": False},
    "min_cell_official_members": 3,
    "decision_working_days": 60,
    "decision_extension_working_days": 30,
    "ceremony_working_days": 30,
    "probation_months": 12,
    "recognition_cell_working_days": 30,
    "recognition_decision_working_days": 30,
    "recognition_decision_extension_working_days": 30,
    "certificate_validity_months": 60,
    "document_validity_months": {"3-KNĐ": 12, "4A-KNĐ": 12, "5-KNĐ": 12},
    "min_age_months": 216,
    "max_age_months": 720,
    "introducer_min_months": 12,
    "min_introducer_letters": 1,
    "youth_route_enabled": True,
    "youth_route_max_age_years": 30,
}

NOTE = ("Hướng dẫn 01-HD/TW (2016). Theo văn bản: tuổi 18–60 (§1.1), 60 (+30) ngày làm việc "
        "để quyết định (§4.3.1), lễ kết nạp trong 30 ngày làm việc (§4.1), xét công nhận "
        "trong 30 ngày làm việc (§4.2a). Chưa đối chiếu được với văn bản, lấy như 24-QĐ/TW: "
        "giấy chứng nhận 60 tháng, giá trị hồ sơ 12 tháng, người giới thiệu 12 tháng.")


def upgrade():
    table = sa.table("rule_set", sa.column("code", sa.String), sa.column("title", sa.String),
                     sa.column("effective_from", sa.Date), sa.column("params", sa.JSON),
                     sa.column("note", sa.Text))
    op.bulk_insert(table, [
        {"code": CODE, "title": "Quy định 29-QĐ/TW (2016) thi hành Điều lệ Đảng",
         "effective_from": date(2016, 7, 25), "params": _PARAMS, "note": NOTE},
    ])


def downgrade():
    op.execute(sa.text("DELETE FROM rule_set WHERE code = :code").bindparams(code=CODE))
