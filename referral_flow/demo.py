"""The demo province (fictional, ``demo_province``): both trees, ~200 members, ~60 cases
over every state, one account per role, and a bulk example year. Cases are moved by the
real transition service, so their events and the audit chain are genuine. Dates are
relative to the day of loading: cases that began before 1 July 2025 take their steps until
then under the trees of that time, the 2025 reorganisation is applied, and they go on.

Only two facts come from a real report (PROCESS.md §4; ``EXAMPLE_INTRODUCED`` and
``EXAMPLE_CLASS_SIZE``): every other figure, name and place is invented."""
from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import func, select

from . import clock
from . import synthetic as syn
from .extensions import db
from .models import (AwarenessClass, Case, EnterpriseKind, Member, Organisation, PartyMember,
                     PartyStatus, Role, RoleGrant, User)
from .models.member import Education, Gender
from .security import can
from .services.cases import open_draft
from .services.second_factor import make_optional_for_all
from .services.transitions import fire
from .demo_people import GIVEN_F, GIVEN_M, JOBS, MIDDLE_F, MIDDLE_M, SURNAMES, roster_person
from .demo_province import (AREAS, BLOC_CODE, CUTOVER, FEDERATION_NAME, MARKER, Unions,
                            build_party_tree, build_units, reorganise_2025)
from .demo_steps import background_check, earliest_on, goes_without, step_data
from .workflow.steps import STEP, STEPS, demo_path
from .workflow.transitions import routes, spec

DEMO_PASSWORD = "demo-only-2026"   # listed in the README; demo load is refused in production


# The path a case walks to reach each state (the last trigger lands in it), and the cases
# the demo makes in each: (target state, how many, days between steps), from the steps'
# specification.
PATHS = {s.id: demo_path(s.id) for s in STEPS if s.demo}
DETOURS = {s.id: demo_path(s.id, detour=True) for s in STEPS if s.demo and s.demo.detour}
PLAN = [(s.id, s.demo.cases, s.demo.gap) for s in STEPS if s.demo]


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
                   union_member_since=born.replace(year=born.year + 22),
                   education=Education.upper_secondary if direct else Education.higher)
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
    # On the bloc committee until 30/6/2025, then on its successor (``reorganise_2025``).
    ("giangvien", "Trần Quốc Toản (phụ trách lớp bồi dưỡng)", Role.class_organiser, BLOC_CODE),
    ("bithu", "Hoàng Văn Tư (Bí thư Chi bộ Phân xưởng 1)", Role.cell_secretary, "CB-THEP-1"),
    ("thamquyen", "Đỗ Minh Châu (Ban Tổ chức Đảng ủy phường Đông Hòa)",
     Role.competent_officer, BLOC_CODE),
    ("doanvien", "Đoàn viên mẫu", Role.member, None),
]


# Work phones and e-mails of the demo staff (candidates see their cell secretary's).
WORK_CONTACTS = {
    "liendoan": ("02223822456", "ha.pt@ldld.hoalam.example"),
    "chutich": ("0912408315", "binh.nv@thepkinhbac.example"),
    "dangvu": ("0983215647", "mai.lt@thepkinhbac.example"),
    "giangvien": ("0904771298", "toan.tq@donghoa.example"),
    "bithu": ("0915362804", "tu.hv@thepkinhbac.example"),
    "thamquyen": ("0936540172", "chau.dm@donghoa.example"),
}


def build_classes(party: dict[str, Organisation], today: date) -> list[AwarenessClass]:
    """Classes running now and soon, run by the ward and commune committees (or, before
    1 July 2025, by the bloc committee); past enrolments open classes as they go
    (``demo_steps.class_for``)."""
    fed = FEDERATION_NAME
    now = today >= CUTOVER
    ward, commune = (party["DH"], party["TL"]) if now else (party["KHOI"], party["KHOI"])
    centre = {key: f"Trung tâm chính trị {AREAS[key][5].removeprefix('Đảng ủy ')}"
              for key in AREAS}
    rows = [
        (ward, "Lớp bồi dưỡng nhận thức về Đảng cho đoàn viên công đoàn ưu tú khối doanh nghiệp",
         -20, 40, 44, fed, "Trường Chính trị tỉnh", f"GCN-DN-{today.year}-"),
        (ward, "Lớp bồi dưỡng nhận thức về Đảng – doanh nghiệp chưa có tổ chức đảng",
         30, 45, 40, fed, "Hội trường Công đoàn các Khu công nghiệp", f"GCN-DN-{today.year}B-"),
        (ward, "Lớp bồi dưỡng nhận thức về Đảng khối cơ quan", -30, 15, 50, "",
         "Trường Chính trị tỉnh", f"GCN-CQ-{today.year}-"),
        (commune, "Lớp bồi dưỡng nhận thức về Đảng xã Tân Lâm", -20, 10, 30,
         AREAS["TL"][3], centre["TL"] if now else "Trường Chính trị tỉnh",
         f"GCN-TL-{today.year}-"),
    ]
    classes = []
    for organiser, name, start, length, capacity, co, place, prefix in rows:
        starts_on = today + timedelta(days=start)
        klass = AwarenessClass(name=name, organiser=organiser, co_organiser=co,
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


def walk(case, path, start: date, gap: int, users, cells, today):
    """Fire ``path`` on ``case`` with step dates spread from ``start``: a generator that
    yields each step's date before taking it, so that the loader can pause a case at the
    reorganisation and take its later steps under the new trees."""
    on = start
    for trigger in path:
        if goes_without(trigger, case):
            continue        # a grassroots cell's resolution goes straight to the decision
        if trigger == "committee_approve" and routes("committee_admit", case):
            trigger = "committee_admit"     # an authorised committee decides itself
        if trigger in ("admit", "return_dossier") and case.state != "decision_pending":
            # decided by an authorised committee; its return is the committee's
            if trigger == "admit":
                continue
            trigger = "committee_return"
        step = min(gap, 20) if trigger == "hold_ceremony" else gap   # within 30 working days
        on = min(earliest_on(trigger, case, on + timedelta(days=step)), today)
        yield on
        data, comment = step_data(trigger, case, on, cells)
        if trigger == "open_dossier" == path[-1]:
            # A case waiting in the dossier step still lacks the introducer's letter and
            # the comments (3-, 5-KNĐ): its candidate sees what to bring.
            data["documents"] = data["documents"][:2]
        actor = _actor(users, trigger, case, today)
        fire(case, trigger, actor, expected_version=case.version, data=data, comment=comment,
             on=on, today=today, check_permission=False)
        if trigger == "open_dossier" == path[-1]:
            background_check(case, on, done=False)      # its verification is under way


def _walk_until(steps, until: date) -> bool:
    """Take the steps dated before ``until``; True when some are left."""
    on = next(steps, None)
    while on is not None and on < until:
        on = next(steps, None)
    return on is not None


def _days_needed(path, gap) -> int:
    after_probation = any(spec(t).opens == "probation_ends_on" for t in path)
    return gap * len(path) + (400 if after_probation else 0) + 10


def _planned(members: list[Member], own_unit: Organisation, today: date):
    """(member, target state, first day, gap, path) of each hand-made case, earliest first.
    Every other case belongs to the demo accounts' unit, so each login has work in every
    step; the rest spread over the province. An overdue case took its last step long ago
    and has waited since; cases of one step did not all move on the same day."""
    own = [m for m in members if m.unit_id == own_unit.id]
    others = [m for m in members if m.unit_id != own_unit.id]
    queue = [own.pop(0) if i % 2 == 0 and own else others.pop(0) for i in range(len(members))]
    plan, index = [], 0
    for state, how_many, gap in PLAN:
        for k in range(how_many):
            overdue = k == 0 and STEP[state].demo.overdue
            gap_here = gap + 3 * k
            start = today - timedelta(days=_days_needed(DETOURS.get(state, PATHS[state]),
                                                        gap_here) + 7 * k
                                      + (150 if overdue else 0))
            path = DETOURS[state] if k == how_many - 1 and state in DETOURS else PATHS[state]
            plan.append((queue[index], state, start, gap_here, path))
            index += 1
    return plan


def load(today: date | None = None, seed: int = 2024) -> bool:
    """Create the demo province; returns False when it is already there."""
    if db.session.scalar(select(Organisation.id).where(Organisation.code == MARKER)):
        return False
    today = today or clock.today()
    rng = random.Random(seed)
    party = build_party_tree()
    unions, cells = build_units(party)
    build_rosters(cells, seed)
    members = build_members(unions.units, rng, today)
    users = build_accounts()
    # The demo is tried without an authenticator app (production refuses demo data).
    make_optional_for_all()
    reorganised = today >= CUTOVER
    until = CUTOVER if reorganised else date.max
    own_unit = unions.units[0]
    paused, later, login_case = [], [], None
    for member, state, start, gap, path in _planned(members, own_unit, today):
        if start >= until:
            later.append((member, state, start, gap, path))
            continue
        case = open_draft(member, None, year=start.year, today=start, check_permission=False)
        steps = walk(case, path, start, gap, users, cells, today)
        if _walk_until(steps, until):
            paused.append(steps)
        if state == "dossier" and member.unit_id == own_unit.id and login_case is None:
            login_case = case
    if today.year > EXAMPLE_YEAR:
        build_example_year(unions, party, own_unit, today, seed)
    if reorganised:
        reorganise_2025(party, unions, users[Role.administrator], today)
    build_classes(party, today)
    for steps in paused:
        _walk_until(steps, date.max)
    for member, state, start, gap, path in later:
        case = open_draft(member, None, year=start.year, today=start, check_permission=False)
        _walk_until(walk(case, path, start, gap, users, cells, today), date.max)
        if state == "dossier" and member.unit_id == own_unit.id and login_case is None:
            login_case = case
    member_user = users[Role.member]
    member_user.member_id = login_case.member_id
    member_user.full_name = login_case.member.full_name
    build_outside_routes(unions, party, own_unit, users, cells, today, reorganised)
    build_targets(unions.federation, unions.units, today)
    return True


# --- candidates outside a CĐCS (issue 11 item 8) -------------------------------------------

COMMUNE_CHAIR = ("chutichxa", "Vũ Thị Thanh (Chủ tịch Công đoàn xã Tân Lâm)")
# (name, born, gender, job, employer, not a union member, path, days ago it began)
OUTSIDE = [
    ("Đinh Văn Khải", date(1991, 8, 14), Gender.male, "Thợ hàn",
     "Hộ kinh doanh Cơ khí Tân Lâm (chưa có CĐCS)", False, ["submit", "accept"], 40),
    ("Lương Thị Bích", date(1994, 2, 9), Gender.female, "Công nhân may",
     "Cơ sở may Tân Phú (chưa có CĐCS)", False, ["submit"], 20),
    ("Hà Văn Tín", date(1989, 11, 3), Gender.male, "Công nhân cán thép", "", True,
     ["submit"], 25),
    ("Quách Thị Dung", date(1978, 6, 21), Gender.female, "Kỹ thuật viên", "", False,
     ["record_readmission", "submit"], 30),
]


def build_outside_routes(unions: Unions, party: dict[str, Organisation],
                         own_unit: Organisation, users: dict, cells, today: date,
                         reorganised: bool) -> None:
    """One case or two on each route outside a CĐCS: workers of enterprises without a CĐCS
    introduced by the commune union (its chair, ``chutichxa``, an account of its own; the
    commune's Party committee receives them), a worker of the demo accounts' unit who is not
    a union member (two Party members' letters), and a former Party member re-admitted."""
    area = "TL"
    upper = unions.commune[area] if reorganised else unions.district[area]
    upper.receiving_party = party[area] if reorganised else party["KHOI"]
    username, full_name = COMMUNE_CHAIR
    chair = User(username=username, full_name=full_name)
    chair.set_password(DEMO_PASSWORD)
    chair.grants.append(RoleGrant(role=Role.union_chair, org=upper, valid_from=date(2020, 1, 1)))
    db.session.add(chair)
    actors = {**users, "commune_chair": chair}
    for n, (name, born, gender, job, employer, outside, path, ago) in enumerate(OUTSIDE):
        unit = upper if employer else own_unit
        person = Member(full_name=name, date_of_birth=born, gender=gender,
                        citizen_id=f"0279{born.year % 100:02d}{n:06d}", unit=unit, job=job,
                        direct_production=True, employer=employer, not_union_member=outside,
                        union_member_since=None if outside else date(born.year + 23, 3, 1))
        db.session.add(person)
        db.session.flush()
        start = today - timedelta(days=ago)
        case = open_draft(person, None, year=start.year, today=start, check_permission=False)
        _walk_until(walk(case, path, start, 7, actors, cells, today), date.max)


def build_targets(fed: Organisation, units, today: date) -> None:
    """This year's targets: at least 1 for every open CĐCS (bulk, the example year's units
    too), 2 for every fifth hand-made unit."""
    from .services import targets
    year = today.year
    targets.bulk_default(fed, year, 1, actor_id=None, today=today)
    targets.set_targets(year, {u.id: 2 for u in units[::5]}, actor_id=None)


# PROCESS.md §4 / reviews-2026-11/domain.md §4: the two facts of one (unnamed) province's
# public 2024 report, the project's seed article. Nothing else in the demo is real.
EXAMPLE_YEAR = 2024
EXAMPLE_INTRODUCED = 2158           # real: members introduced to the Party in 2024
EXAMPLE_CLASS_SIZE = 44             # real: one class, non-state enterprises without a Party
                                    # organisation, held in Workers' Month (May), all certified
EXAMPLE_TARGET_TOTAL = 1950         # invented (the report gives no target)
EXAMPLE_EXTRA_UNITS = 370           # invented
EXAMPLE_CLASS_DAYS = (date(EXAMPLE_YEAR, 5, 13), date(EXAMPLE_YEAR, 5, 17))   # day invented


def build_example_year(unions: Unions, party: dict[str, Organisation],
                       own_unit: Organisation, today: date, seed: int):
    """The example year, generated in bulk under the trees of 2024: more CĐCS under the
    industrial-zone and public servants' unions (their Party organisations under the bloc
    committee, which receives the referrals of enterprises without one), exactly
    ``EXAMPLE_INTRODUCED`` members introduced in the year (counting the hand-made cases
    nominated then), its (invented) targets, and the report's one joint class in May, led
    by the federation with the bloc committee, which trains the year's only candidates from
    enterprises without a Party organisation (the others come from units with one). The
    demo accounts' own unit gets none of them, so that their inboxes stay readable."""
    node = syn.Node.of
    bloc = node(party["KHOI"])
    rows = syn.Rows()
    syn.add_units(rows, random.Random(seed), [
        syn.Upper(node(upper), bloc, public_only=key == "VC", zone=key == "KCN")
        for key, upper in unions.provincial.items()],
        {"enterprise": bloc, "public": bloc}, EXAMPLE_EXTRA_UNITS)
    rows.write()
    year = EXAMPLE_YEAR
    fed = unions.federation
    starts_on, ends_on = EXAMPLE_CLASS_DAYS
    joint = syn.JointClass(
        organiser_id=party["KHOI"].id, co_organiser=FEDERATION_NAME,
        name="Lớp bồi dưỡng nhận thức về Đảng cho đoàn viên công đoàn ưu tú các doanh nghiệp "
             f"ngoài nhà nước chưa có tổ chức đảng – Tháng Công nhân {year}",
        starts_on=starts_on, ends_on=ends_on, size=EXAMPLE_CLASS_SIZE,
        place="Hội trường Liên đoàn Lao động tỉnh", certificate_prefix=f"GCN-LĐLĐ-{year}-",
        eligible=lambda u: u.kind == EnterpriseKind.non_state and not u.has_party_org)
    handmade = db.session.scalar(select(func.count(Case.id)).join(Case.union_unit).where(
        Organisation.path.startswith(fed.path),
        Case.nominated_on.between(date(year, 1, 1), date(year, 12, 31))))
    return syn.generate_cases(
        syn.load_units(fed.id, exclude={own_unit.id}),
        {year: EXAMPLE_INTRODUCED - handmade}, today=today, seed=seed, joint=(year, joint),
        referring=lambda u: u.has_party_org, target_totals={year: EXAMPLE_TARGET_TOTAL})
