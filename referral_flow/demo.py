"""The demo province: both trees, ~200 members, ~60 cases over every state, one account
per role. Cases are moved by the real transition service, so their events and the
audit chain are genuine. Dates are relative to the day of loading."""
from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import func, select

from . import clock
from . import synthetic as syn
from .extensions import db
from .models import (AwarenessClass, Case, EnterpriseKind, Member, Organisation, PartyKind,
                     PartyMember, PartyStatus, Role, RoleGrant, Tree, UnionKind, User)
from .models.member import Gender
from .security import can
from .services.cases import open_draft
from .services.second_factor import make_optional_for_all
from .services.transitions import fire
from .demo_people import GIVEN_F, GIVEN_M, JOBS, MIDDLE_F, MIDDLE_M, SURNAMES, roster_person
from .demo_steps import earliest_on, step_data

MARKER = "LDLD-DEMO"
FEDERATION_NAME = "Liên đoàn Lao động tỉnh Bắc Ninh"
DEMO_PASSWORD = "demo-only-2026"   # listed in the README; demo load is refused in production
OPENED = date(2015, 1, 1)


# The path a case walks to reach each state (the last trigger lands in it).
PATHS = {
    "draft": [],
    "nominated": ["submit"],
    "accepted": ["submit", "accept"],
    "in_class": ["submit", "accept", "enroll"],
    "certified": ["submit", "accept", "enroll", "pass_class"],
    "dossier": ["submit", "accept", "enroll", "pass_class", "open_dossier"],
    "cell_review": ["submit", "accept", "enroll", "pass_class", "open_dossier", "send_to_cell"],
}
PATHS["committee_review"] = PATHS["cell_review"] + ["cell_approve"]
PATHS["decision_pending"] = PATHS["committee_review"] + ["committee_approve"]
PATHS["admitted"] = PATHS["decision_pending"] + ["admit"]
PATHS["probation"] = PATHS["admitted"] + ["hold_ceremony"]
PATHS["recognition_review"] = PATHS["probation"] + ["open_recognition"]
PATHS["official"] = PATHS["recognition_review"] + ["recognise"]
PATHS["rejected"] = PATHS["cell_review"] + ["cell_reject"]
PATHS["withdrawn"] = ["submit", "accept", "withdraw"]
PATHS["removed"] = PATHS["probation"] + ["remove"]

# (target state, how many, working-ish days between steps, flagged overdue)
PLAN = [("draft", 4, 5), ("nominated", 4, 5), ("accepted", 4, 10), ("in_class", 4, 10),
        ("certified", 4, 10), ("dossier", 4, 12), ("cell_review", 4, 10),
        ("committee_review", 4, 10), ("decision_pending", 5, 20), ("admitted", 4, 15),
        ("probation", 5, 20), ("recognition_review", 3, 25), ("official", 5, 30),
        ("rejected", 2, 10), ("withdrawn", 2, 10), ("removed", 2, 30)]


def _org(code, tree, kind, name, parent=None, **kw) -> Organisation:
    org = Organisation(code=code, tree=tree, kind=kind, name=name, opened_on=OPENED, **kw)
    db.session.add(org)
    db.session.flush()
    org.place_under(parent)
    return org


def _party(code, kind, name, parent, **kw):
    return _org(code, Tree.party, kind.value, name, parent, **kw)


def _union(code, kind, name, parent, **kw):
    return _org(code, Tree.union, kind.value, name, parent, **kw)


def build_party_tree() -> dict[str, Organisation]:
    p = {}
    p["TU"] = _party("TU-DEMO", PartyKind.provincial, "Tỉnh ủy Bắc Ninh", None,
                     competent_body=True)
    p["DN"] = _party("DUK-DN", PartyKind.bloc, "Đảng ủy Khối Doanh nghiệp tỉnh", p["TU"],
                     competent_body=True, runs_classes=True, committee_members=15)
    p["CQ"] = _party("DUK-CQ", PartyKind.bloc, "Đảng ủy Khối các cơ quan tỉnh", p["TU"],
                     competent_body=True, runs_classes=True, committee_members=15)
    p["KB"] = _party("DU-P-KB", PartyKind.commune, "Đảng ủy phường Kinh Bắc", p["TU"],
                     competent_body=True, grassroots_committee=True, runs_classes=True,
                     committee_members=11)
    p["QV"] = _party("DU-X-QV", PartyKind.commune, "Đảng ủy xã Quế Võ", p["TU"],
                     competent_body=True, grassroots_committee=True, runs_classes=True,
                     committee_members=9)
    for code, parent in (("KB", p["KB"]), ("QV", p["QV"])):
        for i in range(1, 4):
            p[f"{code}-KP{i}"] = _party(f"CB-{code}-KP{i}", PartyKind.cell,
                                        f"Chi bộ khu phố {i} ({parent.name})", parent,
                                        official_members=12 + i)
    return p


# (code, name, enterprise kind, has Party organisation, upper union, Party parent bloc)
UNITS = [
    ("THEP", "Công ty CP Thép Kinh Bắc", EnterpriseKind.state, "KCN", "DN"),
    ("DIEN", "Công ty Điện lực Bắc Ninh", EnterpriseKind.state, "KCN", "DN"),
    ("CAPNUOC", "Công ty TNHH MTV Cấp nước Bắc Ninh", EnterpriseKind.state, "KB", "DN"),
    ("MOITRUONG", "Công ty CP Môi trường đô thị", EnterpriseKind.state, "KB", "DN"),
    ("SAMSUNG", "Công ty TNHH Điện tử Quang Minh Việt Nam", EnterpriseKind.fdi, "KCN", "DN"),
    ("CANON", "Công ty TNHH Quang học Tiên Sơn", EnterpriseKind.fdi, "KCN", "DN"),
    ("FOXCONN", "Công ty TNHH Chính xác Hồng Hải", EnterpriseKind.fdi, "KCN", "DN"),
    ("HANWHA", "Công ty TNHH Hàn Việt Aero", EnterpriseKind.fdi, "KCN", None),
    ("GOERTEK", "Công ty TNHH Âm thanh Vinh Quang", EnterpriseKind.fdi, "KCN", None),
    ("VIGLACERA", "Công ty CP Gạch men Tiên Du", EnterpriseKind.non_state, "KCN", "DN"),
    ("DABACO", "Công ty CP Thức ăn chăn nuôi Lạc Vệ", EnterpriseKind.non_state, "QV", "DN"),
    ("MAY10", "Công ty CP May Đình Bảng", EnterpriseKind.non_state, "KB", "DN"),
    ("GOMSU", "Công ty TNHH Gốm sứ Phù Lãng", EnterpriseKind.non_state, "QV", None),
    ("GOPHUONG", "Công ty TNHH Đồ gỗ Đồng Kỵ", EnterpriseKind.non_state, "KB", None),
    ("BAOBI", "Công ty TNHH Bao bì Quế Võ", EnterpriseKind.non_state, "QV", None),
    ("CODIEN", "Công ty TNHH Cơ điện Việt Hàn", EnterpriseKind.non_state, "KCN", None),
    ("THUCPHAM", "Công ty CP Thực phẩm Kinh Bắc", EnterpriseKind.non_state, "KB", None),
    ("XAYDUNG", "Công ty TNHH Xây dựng Thuận Thành", EnterpriseKind.non_state, "QV", None),
    ("VANTAI", "Hợp tác xã Vận tải Bắc Ninh", EnterpriseKind.non_state, "KB", None),
    ("INAN", "Công ty TNHH In ấn Từ Sơn", EnterpriseKind.non_state, "KB", None),
    ("BVTINH", "Bệnh viện Đa khoa tỉnh", EnterpriseKind.public, "GD", "CQ"),
    ("BVSAN", "Bệnh viện Sản - Nhi tỉnh", EnterpriseKind.public, "GD", "CQ"),
    ("THPTHAN", "Trường THPT Hàn Thuyên", EnterpriseKind.public, "GD", "CQ"),
    ("THPTLTT", "Trường THPT Lý Thái Tổ", EnterpriseKind.public, "GD", "CQ"),
    ("THCSKB", "Trường THCS Kinh Bắc", EnterpriseKind.public, "GD", "CQ"),
    ("CDNGHE", "Trường Cao đẳng Công nghiệp Bắc Ninh", EnterpriseKind.public, "GD", "CQ"),
    ("SOTNMT", "Văn phòng Sở Nông nghiệp và Môi trường", EnterpriseKind.public, "GD", "CQ"),
    ("KHOBAC", "Kho bạc Nhà nước khu vực", EnterpriseKind.public, "GD", "CQ"),
    ("TTYT", "Trung tâm Y tế Từ Sơn", EnterpriseKind.public, "GD", "CQ"),
    ("BAOTANG", "Bảo tàng tỉnh Bắc Ninh", EnterpriseKind.public, "GD", "CQ"),
]
UPPER = {"KCN": ("CD-KCN", "Công đoàn các Khu công nghiệp tỉnh"),
         "KB": ("CD-P-KB", "Công đoàn phường Kinh Bắc"),
         "QV": ("CD-X-QV", "Công đoàn xã Quế Võ"),
         "GD": ("CD-VC", "Công đoàn Viên chức tỉnh")}
COMMUNE_FOR = {"KCN": "QV", "KB": "KB", "QV": "QV", "GD": "KB"}


def build_units(party: dict[str, Organisation]):
    fed = _union(MARKER, UnionKind.federation, FEDERATION_NAME, None)
    uppers = {k: _union(code, UnionKind.upper, name, fed) for k, (code, name) in UPPER.items()}
    units, cells = [], []
    for i, (code, name, kind, upper, bloc) in enumerate(UNITS):
        if bloc:
            big = i % 3 != 1
            pkind = PartyKind.grassroots_committee if big else PartyKind.grassroots_cell
            prefix = "Đảng ủy" if big else "Chi bộ"
            receiver = _party(f"P-{code}", pkind, f"{prefix} {name}", party[bloc],
                              grassroots_committee=big, committee_members=9 if big else None,
                              official_members=None if big else 7 + i % 5)
            if big:
                workshop = "Phân xưởng" if kind != EnterpriseKind.public else "Khoa"
                for j in (1, 2):
                    cells.append(_party(f"CB-{code}-{j}", PartyKind.cell,
                                        f"Chi bộ {workshop} {j} – {name}",
                                        receiver, official_members=9 + (i + j) % 6))
            else:
                cells.append(receiver)
        else:
            receiver = party[COMMUNE_FOR[upper]]
        units.append(_union(f"CDCS-{code}", UnionKind.grassroots, f"Công đoàn cơ sở {name}",
                            uppers[upper], enterprise_kind=kind, has_party_org=bool(bloc),
                            receiving_party=receiver, has_youth_union=False))
    cells += [o for k, o in party.items() if "-KP" in k]
    return fed, uppers, units, cells


def build_members(units, rng: random.Random, today: date) -> list[Member]:
    members, used = [], set()
    for n in range(200):
        # The demo accounts' unit gets a fifth of the members so that every login has work.
        unit = units[0] if n < 40 else units[n % len(units)]
        female = rng.random() < 0.5
        name = " ".join([rng.choice(SURNAMES), rng.choice(MIDDLE_F if female else MIDDLE_M),
                         rng.choice(GIVEN_F if female else GIVEN_M)])
        born = date(today.year - rng.randint(24, 45), rng.randint(1, 12), rng.randint(1, 28))
        while True:
            cid = f"027{(3 if female else 2) if born.year >= 2000 else (1 if female else 0)}" \
                  f"{born.year % 100:02d}{rng.randint(0, 999999):06d}"
            if cid not in used:
                used.add(cid)
                break
        job, direct = rng.choice(JOBS[:5] if unit.enterprise_kind != EnterpriseKind.public
                                 else JOBS[5:])
        m = Member(full_name=name, date_of_birth=born, gender=Gender.female if female
                   else Gender.male, citizen_id=cid, unit=unit, job=job,
                   direct_production=direct, phone=f"09{rng.randint(10000000, 99999999)}",
                   union_member_since=born.replace(year=born.year + 22))
        db.session.add(m)
        members.append(m)
    db.session.flush()
    return members


def build_rosters(cells: list[Organisation], seed: int) -> None:
    """Every demo cell gets as many official members as its count, and keeps its roster."""
    rng = random.Random(seed)
    for cell in cells:
        for _ in range(cell.official_members or 0):
            db.session.add(PartyMember(cell=cell, status=PartyStatus.official,
                                       **roster_person(rng)))
        cell.roster_kept = True
    db.session.flush()


ACCOUNTS = [
    ("admin", "Quản trị hệ thống", Role.administrator, None),
    ("liendoan", "Phạm Thu Hà (LĐLĐ tỉnh)", Role.federation_officer, MARKER),
    ("chutich", "Nguyễn Văn Bình (Chủ tịch CĐCS Thép Kinh Bắc)", Role.union_chair, "CDCS-THEP"),
    ("dangvu", "Lê Thị Mai (Văn phòng Đảng ủy Công ty Thép)", Role.party_officer, "P-THEP"),
    ("giangvien", "Trần Quốc Toản (phụ trách lớp bồi dưỡng)", Role.class_organiser, "DUK-DN"),
    ("bithu", "Hoàng Văn Tư (Bí thư Chi bộ Phân xưởng 1)", Role.cell_secretary, "CB-THEP-1"),
    ("thamquyen", "Đỗ Minh Châu (Ban Tổ chức Đảng ủy Khối DN)", Role.competent_officer,
     "DUK-DN"),
    ("doanvien", "Đoàn viên mẫu", Role.member, None),
]


# Work phones and e-mails of the demo staff (candidates see their cell secretary's).
WORK_CONTACTS = {
    "liendoan": ("02223822456", "ha.pt@ldld.bacninh.vn"),
    "chutich": ("0912408315", "binh.nv@thepkinhbac.vn"),
    "dangvu": ("0983215647", "mai.lt@thepkinhbac.vn"),
    "giangvien": ("0904771298", "toan.tq@dukdn.bacninh.vn"),
    "bithu": ("0915362804", "tu.hv@thepkinhbac.vn"),
    "thamquyen": ("0936540172", "chau.dm@dukdn.bacninh.vn"),
}


def build_classes(party: dict[str, Organisation], today: date) -> list[AwarenessClass]:
    """Classes running now and soon; past enrolments open quarterly classes as they go
    (``demo_steps.class_for``)."""
    fed = FEDERATION_NAME
    rows = [
        ("DN", "Lớp bồi dưỡng nhận thức về Đảng cho đoàn viên công đoàn ưu tú khối doanh nghiệp",
         -20, 40, 44, fed, "Trung tâm chính trị tỉnh", f"GCN-DN-{today.year}-"),
        ("DN", "Lớp bồi dưỡng nhận thức về Đảng – doanh nghiệp chưa có tổ chức đảng",
         30, 45, 40, fed, "Hội trường Công đoàn các Khu công nghiệp", f"GCN-DN-{today.year}B-"),
        ("CQ", "Lớp bồi dưỡng nhận thức về Đảng khối cơ quan", -30, 15, 50, "",
         "Trường Chính trị tỉnh", f"GCN-CQ-{today.year}-"),
        ("KB", "Lớp bồi dưỡng nhận thức về Đảng phường Kinh Bắc", -20, 10, 30,
         "Công đoàn phường Kinh Bắc", "Nhà văn hóa phường", f"GCN-KB-{today.year}-"),
    ]
    classes = []
    for key, name, start, length, capacity, co, place, prefix in rows:
        starts_on = today + timedelta(days=start)
        klass = AwarenessClass(name=name, organiser=party[key], co_organiser=co,
                               starts_on=starts_on, ends_on=starts_on + timedelta(days=length),
                               place=place, capacity=capacity, certificate_prefix=prefix,
                               certificate_seq=0)
        db.session.add(klass)
        classes.append(klass)
    db.session.flush()
    return classes


def build_accounts() -> dict[Role, User]:
    users = {}
    for username, name, role, code in ACCOUNTS:
        org = db.session.scalar(select(Organisation).where(Organisation.code == code)) \
            if code else None
        phone, email = WORK_CONTACTS.get(username, ("", ""))
        user = User(username=username, full_name=name, work_phone=phone, work_email=email)
        user.set_password(DEMO_PASSWORD)
        user.grants.append(RoleGrant(role=role, org=org, valid_from=date(2020, 1, 1)))
        db.session.add(user)
        users[role] = user
    db.session.flush()
    return users


def _actor(users, trigger, case, today):
    for user in users.values():
        if can(user, trigger, case, today):
            return user
    return None


def walk(case, path, start: date, gap: int, users, cells, today) -> None:
    """Fire ``path`` on ``case`` with step dates spread from ``start``."""
    on = start
    for trigger in path:
        if trigger == "committee_approve" and case.state == "decision_pending":
            continue        # a grassroots cell's resolution goes straight to the decision
        step = min(gap, 20) if trigger == "hold_ceremony" else gap   # within 30 working days
        on = min(earliest_on(trigger, case, on + timedelta(days=step)), today)
        data, comment = step_data(trigger, case, on, cells)
        if trigger == "open_dossier" == path[-1]:
            # A case waiting in the dossier step still lacks the introducer's letter and
            # the comments (3-, 5-KNĐ): its candidate sees what to bring.
            data["documents"] = data["documents"][:2]
        actor = _actor(users, trigger, case, today)
        fire(case, trigger, actor, expected_version=case.version, data=data, comment=comment,
             on=on, today=today, check_permission=False)


def _days_needed(path, gap) -> int:
    return gap * len(path) + (400 if {"open_recognition", "remove"} & set(path) else 0) + 10


def load(today: date | None = None, seed: int = 2024) -> bool:
    """Create the demo province; returns False when it is already there."""
    if db.session.scalar(select(Organisation.id).where(Organisation.code == MARKER)):
        return False
    today = today or clock.today()
    rng = random.Random(seed)
    party = build_party_tree()
    fed, uppers, units, cells = build_units(party)
    build_rosters(cells, seed)
    members = build_members(units, rng, today)
    users = build_accounts()
    # The demo is tried without an authenticator app (production refuses demo data).
    make_optional_for_all()
    build_classes(party, today)
    # Every other case belongs to the demo accounts' unit, so each login has work in
    # every step; the rest spread over the province.
    own = [m for m in members if m.unit_id == units[0].id]
    others = [m for m in members if m.unit_id != units[0].id]
    queue = [own.pop(0) if i % 2 == 0 and own else others.pop(0) for i in range(len(members))]
    index, login_case = 0, None
    for state, how_many, gap in PLAN:
        for k in range(how_many):
            member = queue[index]
            index += 1
            path = PATHS[state]
            overdue = k == 0 and state in ("decision_pending", "admitted")
            # An overdue case took its last step long ago and has waited since.
            gap_here = gap + 3 * k       # cases of one step did not all move on the same day
            start = today - timedelta(days=_days_needed(path, gap_here) + 7 * k
                                      + (150 if overdue else 0))
            case = open_draft(member, None, year=start.year, today=start, check_permission=False)
            walk(case, path, start, gap_here, users, cells, today)
            if state == "dossier" and member.unit_id == units[0].id and login_case is None:
                login_case = case
    member_user = users[Role.member]
    member_user.member_id = login_case.member_id
    member_user.full_name = login_case.member.full_name
    build_targets(fed, units, today)
    if today.year > EXAMPLE_YEAR:
        build_example_year(fed, uppers, party, units[0], today, seed)
    return True


def build_targets(fed: Organisation, units, today: date) -> None:
    """This year's targets: at least 1 per CĐCS (bulk), 2 for every fifth unit."""
    from .services import targets
    year = today.year
    targets.bulk_default(fed, year, 1, actor_id=None, today=today)
    targets.set_targets(year, {u.id: 2 for u in units[::5]}, actor_id=None)


# PROCESS.md §4: one province's public 2024 report.
EXAMPLE_YEAR = 2024
EXAMPLE_INTRODUCED = 2158
EXAMPLE_TARGET_TOTAL = 1950
EXAMPLE_EXTRA_UNITS = 370
EXAMPLE_CLASS_SIZE = 44


def build_example_year(fed: Organisation, uppers: dict[str, Organisation],
                       party: dict[str, Organisation], own_unit: Organisation, today: date,
                       seed: int):
    """The example year, generated in bulk: more CĐCS under the demo's upper unions, exactly
    ``EXAMPLE_INTRODUCED`` members introduced in the year (counting the hand-made cases
    nominated then), its targets, and the one joint class of the report, which trains the
    year's only candidates from enterprises without a Party organisation (the others come
    from units with one). The demo accounts' own unit gets none of them, so that their
    inboxes stay readable."""
    node = syn.Node.of
    rows = syn.Rows()
    syn.add_units(rows, random.Random(seed), [
        syn.Upper(node(uppers[key]), node(party[COMMUNE_FOR[key]]), public_only=key == "GD",
                  zone=key == "KCN") for key in UPPER],
        {"enterprise": node(party["DN"]), "public": node(party["CQ"])}, EXAMPLE_EXTRA_UNITS)
    rows.write()
    year = EXAMPLE_YEAR
    joint = syn.JointClass(
        organiser_id=party["DN"].id, co_organiser=FEDERATION_NAME,
        name="Lớp bồi dưỡng nhận thức về Đảng cho đoàn viên công đoàn ưu tú các doanh nghiệp "
             f"ngoài nhà nước chưa có tổ chức đảng năm {year}",
        starts_on=date(year, 9, 9), ends_on=date(year, 9, 13), size=EXAMPLE_CLASS_SIZE,
        place="Hội trường Liên đoàn Lao động tỉnh", certificate_prefix=f"GCN-LĐLĐ-{year}-",
        eligible=lambda u: u.kind == EnterpriseKind.non_state and not u.has_party_org)
    handmade = db.session.scalar(select(func.count(Case.id)).join(Case.union_unit).where(
        Organisation.path.startswith(fed.path),
        Case.nominated_on.between(date(year, 1, 1), date(year, 12, 31))))
    return syn.generate_cases(
        syn.load_units(fed.id, exclude={own_unit.id}),
        {year: EXAMPLE_INTRODUCED - handmade}, today=today, seed=seed, joint=(year, joint),
        referring=lambda u: u.has_party_org, target_totals={year: EXAMPLE_TARGET_TOTAL})
