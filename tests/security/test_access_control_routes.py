"""ASVS chapter 8 (authorisation): the IDOR matrix over HTTP. Every page that names a
record by its id in the path is requested by every world user on the records of side "a":
those whose organisations reach the record get the page, everyone else a 403 or a 404 and
never the record. A new page with an id in its path fails ``test_every_record_page_is_in_the
_matrix`` until it is added here, with who may see it decided by hand."""
from __future__ import annotations

import re

import pytest

from referral_flow.models import Role, TransferKind
from referral_flow.services.scans import attach
from referral_flow.services.transfers import request_transfer

from ..conftest import csrf_token
from ..factories import advance, new_case, user
from ..integration.test_classes import make_class
from ..integration.test_scans import pdf_bytes

# The pages that name a record in their path, and which record.
RECORD_PAGES = {
    "cases.detail": ("case", "/cases/{case}"),
    "classes.skip": ("case", "/classes/skip/{case}"),
    "members.edit": ("member", "/members/{member}/edit"),
    "classes.detail": ("class", "/classes/{class}"),
    "classes.edit": ("class", "/classes/{class}/edit"),
    "classes.enrol_page": ("class", "/classes/{class}/enrol"),
    "party_members.edit": ("party_member", "/party-members/{party_member}/edit"),
    "party_members.roster": ("cell", "/party-members/cells/{cell}"),
    "party_members.create": ("cell", "/party-members/cells/{cell}/new"),
    "admin.user": ("user", "/admin/users/{user}"),
    "admin.node": ("node", "/admin/organisations/{node}"),
    "cases.transfer": ("transfer", "/cases/transfers/{transfer}"),
    "cases.paper": ("case", "/cases/{case}/papers/4a.pdf"),
    "scans.download": ("scan", "/cases/{case}/scans/{scan}"),
    "classes.certificates": ("class", "/classes/{class}/certificates.pdf"),
}

# Who gets each page for side "a"'s record (the case is accepted into cell_a; the class is
# bloc_a's; the party member is on cell_a's roster). Written from the process: the union
# chair keeps his unit's members; the Party committee and the cell work the case; the bloc
# runs classes and decides; the federation officer reads cases of his subtree; the
# administrator reads every case and keeps rosters (go-live), not the union's or classes' pages.
SEES = {
    "cases.detail": {"administrator", "union_chair_a", "party_officer_a", "class_organiser_a",
                     "cell_secretary_a", "competent_officer_a", "federation_officer_a",
                     "candidate_a"},
    "classes.skip": {"party_officer_a"},
    "members.edit": {"union_chair_a"},
    "classes.detail": {"class_organiser_a"},
    "classes.edit": {"class_organiser_a"},
    "classes.enrol_page": {"class_organiser_a"},
    "party_members.edit": {"cell_secretary_a", "party_officer_a", "administrator"},
    "party_members.roster": {"cell_secretary_a", "party_officer_a", "administrator"},
    "party_members.create": {"cell_secretary_a", "party_officer_a", "administrator"},
    "admin.user": {"administrator"},
    "admin.node": {"administrator"},
    # Side "a"'s case asked to move to committee_b and cell_b: whoever sees the case, and
    # the receiving side who answers.
    "cases.transfer": {"administrator", "union_chair_a", "party_officer_a", "class_organiser_a",
                       "cell_secretary_a", "competent_officer_a", "federation_officer_a",
                       "candidate_a", "party_officer_b", "cell_secretary_b"},
    # The case's printed union resolution and the signed scan of it: whoever sees the case.
    "cases.paper": {"administrator", "union_chair_a", "party_officer_a", "class_organiser_a",
                    "cell_secretary_a", "competent_officer_a", "federation_officer_a",
                    "candidate_a"},
    "scans.download": {"administrator", "union_chair_a", "party_officer_a",
                       "class_organiser_a", "cell_secretary_a", "competent_officer_a",
                       "federation_officer_a", "candidate_a"},
    # A class's certificates: its organisers.
    "classes.certificates": {"class_organiser_a"},
}


def test_every_record_page_is_in_the_matrix(app):
    pages = {rule.endpoint for rule in app.url_map.iter_rules()
             if "GET" in rule.methods and rule.endpoint != "static"
             and any(type(c).__name__ == "IntegerConverter" for c in rule._converters.values())}
    assert pages == set(RECORD_PAGES) == set(SEES)


@pytest.fixture
def records(world, db):
    """One record of each kind on side "a" (what the matrix asks for) and a candidate on
    each side whose own case it is or is not."""
    case = advance(new_case(world, "a"), world, "accepted")
    other = advance(new_case(world, "b"), world, "accepted")
    users = dict(world.users)
    users["candidate_a"] = user(Role.member, None, member_id=case.member_id)
    users["candidate_b"] = user(Role.member, None, member_id=other.member_id)
    klass = make_class(world, "a")
    transfer = request_transfer(case, world.users["party_officer_a"], kind=TransferKind.employer,
                                reason="Chuyển nơi làm việc", expected_version=case.version,
                                party_id=world["committee_b"].id, cell_id=world["cell_b"].id)
    scan = attach(case, case.latest_document("4A-KNĐ").id, world.users["union_chair_a"],
                  "nghi-quyet-4A.pdf", pdf_bytes())
    db.session.commit()
    ids = {"case": case.id, "other_case": other.id, "member": case.member_id, "class": klass.id,
           "party_member": world.helper("cell_a").id, "cell": world["cell_a"].id,
           "user": world.users["union_chair_a"].id, "node": world["unit_a"].id,
           "transfer": transfer.id, "scan": scan.id}
    return users, ids


def _get_as(client, auth, who, url):
    """The response to ``url`` for ``who`` (signed in for that one request)."""
    auth.login(who.username)
    response = client.get(url)
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/account/").text)})
    return response


@pytest.mark.parametrize("endpoint", sorted(RECORD_PAGES))
def test_record_pages_open_only_within_scope(records, client, auth, endpoint):
    users, ids = records
    _kind, pattern = RECORD_PAGES[endpoint]
    url = pattern.format(**ids)
    answers = {key: _get_as(client, auth, who, url).status_code
               for key, who in users.items()}
    assert {key for key, status in answers.items() if status == 200} == SEES[endpoint]
    assert all(status in (403, 404) for key, status in answers.items()
               if key not in SEES[endpoint]), answers


# Pages and exports that take an organisation by ``?node=`` (or ``?unit=``): asked for side
# "a"'s node by a user who does not reach it, they refuse or fall back to his own nodes,
# never showing side "a": no side "a" name on the page, and an export is the one he gets
# without asking for a node. The user named reaches the node and sees its name (so the check
# can fail); None where the export carries counts only.
NODE_PAGES = {
    "/reports/achievement?node={unit_a}": "federation_officer_a",
    "/reports/achievement/export?node={unit_a}&format=csv": "federation_officer_a",
    "/reports/cohort?node={unit_a}": "federation_officer_a",
    "/reports/cohort/export?node={unit_a}&format=csv": None,
    "/reports/party?node={committee_a}": "competent_officer_a",
    "/reports/party/export?node={committee_a}&format=csv": None,
    "/targets/?node={upper_a}": "federation_officer_a",
    "/targets/export?node={upper_a}&format=csv": "federation_officer_a",
    "/targets/plan?unit={unit_a}": "union_chair_a",
    "/members/?unit={unit_a}": "union_chair_a",
}
SIDE_A = ("CDCS-a", "UP-a", "DU-a", "BLOC-a", "CB-a")


@pytest.mark.parametrize("pattern", sorted(NODE_PAGES))
def test_node_pages_never_show_an_unreached_node(records, world, client, auth, pattern):
    users, _ = records
    url = pattern.format(**{k: world[k].id for k in ("unit_a", "upper_a", "committee_a")})
    if NODE_PAGES[pattern]:
        reached = _get_as(client, auth, users[NODE_PAGES[pattern]], url)
        assert any(code in reached.text for code in SIDE_A)
    for key, who in users.items():
        if key.endswith("_b"):
            response = _get_as(client, auth, who, url)
            assert response.status_code in (200, 302, 403, 404), (key, response.status_code)
            shown = [code for code in SIDE_A if code in response.text]
            assert not shown, (key, shown)
            if "/export" in url and response.status_code == 200:
                own = _get_as(client, auth, who, re.sub(r"(node|unit)=\d+&?", "", url))
                assert response.data == own.data, key


def test_an_export_holds_exactly_the_cases_its_user_may_open(records, client, auth):
    """Every user's case-list export lists the cases of both sides that he can open, and
    no other: an export is never a way round the case page's scope."""
    users, ids = records
    exported = {}
    for key, who in users.items():
        auth.login(who.username)
        may_open = {case for case in (ids["case"], ids["other_case"])
                    if client.get(f"/cases/{case}").status_code == 200}
        export = client.get("/cases/export?format=csv")
        if export.status_code == 200:
            numbers = {int(line.split(";")[0]) for line in
                       export.data.decode("utf-8-sig").splitlines()[1:] if line}
            assert numbers == may_open, key
            exported[key] = numbers
        else:
            assert export.status_code in (403, 404) and not may_open, key
        client.post("/logout", data={"csrf_token": csrf_token(client.get("/account/").text)})
    assert exported["administrator"] == {ids["case"], ids["other_case"]}
    assert exported["union_chair_b"] == {ids["other_case"]}
