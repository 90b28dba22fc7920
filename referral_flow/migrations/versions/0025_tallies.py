"""National scale (issue 13): ``case_tally`` (cases per node and state on each side, kept
by triggers on ``referral_case`` in the writing transaction), the index lists sort by
(state_since, id) and the index of "handled by me" (audit_event actor_id, case_id).

The triggers hold the rule of models/tally.py; services/tallies.py holds it as one
set-based query, which fills the table here and checks it later.

Revision ID: 0025_tallies
Revises: 0024_scans
"""
import sqlalchemy as sa
from alembic import op

revision = "0025_tallies"
down_revision = "0024_scans"
branch_labels = None
depends_on = None

# One case's rows: +d at its union unit's path, +d at the union of its Party organisation's
# and host cell's paths. {u}/{p}/{cell}/{st}/{d} are the trigger's values.
PG_ADD = """
CREATE FUNCTION case_tally_add(u integer, p integer, cell integer, st text, d integer)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO case_tally (side, node_id, state, n)
    SELECT side, node_id, st, d FROM (
        SELECT 'union' AS side, CAST(a.id AS integer) AS node_id FROM organisation o
        CROSS JOIN LATERAL unnest(string_to_array(trim(both '/' from o.path), '/')) AS a(id)
        WHERE o.id = u
        UNION
        SELECT 'party', CAST(a.id AS integer) FROM organisation o
        CROSS JOIN LATERAL unnest(string_to_array(trim(both '/' from o.path), '/')) AS a(id)
        WHERE o.id = p OR o.id = cell) AS t
    ORDER BY side, node_id
    ON CONFLICT (side, node_id, state) DO UPDATE SET n = case_tally.n + excluded.n
$$"""
PG_TRIGGER = """
CREATE FUNCTION case_tally_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM case_tally_add(OLD.union_unit_id, OLD.party_org_id, OLD.host_cell_id,
                               OLD.state, -1);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM case_tally_add(NEW.union_unit_id, NEW.party_org_id, NEW.host_cell_id,
                               NEW.state, 1);
    END IF;
    RETURN NULL;
END $$"""
CHANGED = ("OLD.state IS NOT NEW.state OR OLD.union_unit_id IS NOT NEW.union_unit_id"
           " OR OLD.party_org_id IS NOT NEW.party_org_id"
           " OR OLD.host_cell_id IS NOT NEW.host_cell_id")
SQLITE_ADD = """
INSERT INTO case_tally (side, node_id, state, n)
SELECT 'union', CAST(a.value AS INTEGER), {row}.state, {d} FROM organisation o
JOIN json_each('[' || replace(trim(o.path, '/'), '/', ',') || ']') AS a
WHERE o.id = {row}.union_unit_id
UNION
SELECT 'party', CAST(a.value AS INTEGER), {row}.state, {d} FROM organisation o
JOIN json_each('[' || replace(trim(o.path, '/'), '/', ',') || ']') AS a
WHERE o.id = {row}.party_org_id OR o.id = {row}.host_cell_id
ON CONFLICT (side, node_id, state) DO UPDATE SET n = n + excluded.n;"""
ANCESTORS = {
    "postgresql": "CROSS JOIN LATERAL unnest(string_to_array(trim(both '/' from o.path), '/'))"
                  " AS a(id)",
    "sqlite": "JOIN json_each('[' || replace(trim(o.path, '/'), '/', ',') || ']') AS a",
}
NODE = {"postgresql": "id", "sqlite": "value"}
FILL = """
INSERT INTO case_tally (side, node_id, state, n)
SELECT 'union', CAST(a.{node} AS INTEGER), c.state, count(*)
FROM referral_case c JOIN organisation o ON o.id = c.union_unit_id {ancestors}
GROUP BY CAST(a.{node} AS INTEGER), c.state
UNION ALL
SELECT 'party', p.node_id, p.state, count(*) FROM (
    SELECT c.id AS case_id, CAST(a.{node} AS INTEGER) AS node_id, c.state AS state
    FROM referral_case c JOIN organisation o ON o.id = c.party_org_id {ancestors}
    UNION
    SELECT c.id, CAST(a.{node} AS INTEGER), c.state
    FROM referral_case c JOIN organisation o ON o.id = c.host_cell_id {ancestors}) AS p
GROUP BY p.node_id, p.state"""


def upgrade():
    op.create_table(
        "case_tally",
        sa.Column("side", sa.String(length=5), nullable=False),
        sa.Column("node_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["node_id"], ["organisation.id"],
                                name=op.f("fk_case_tally_node_id_organisation")),
        sa.PrimaryKeyConstraint("side", "node_id", "state", name=op.f("pk_case_tally")),
    )
    op.create_index("ix_referral_case_state_since_id", "referral_case", ["state_since", "id"])
    op.create_index("ix_audit_event_actor_case", "audit_event", ["actor_id", "case_id"])
    dialect = op.get_bind().dialect.name
    op.execute(FILL.format(ancestors=ANCESTORS[dialect], node=NODE[dialect]))
    if dialect == "postgresql":
        op.execute(PG_ADD)
        op.execute(PG_TRIGGER)
        op.execute("CREATE TRIGGER case_tally_write AFTER INSERT OR DELETE ON referral_case"
                   " FOR EACH ROW EXECUTE FUNCTION case_tally_count()")
        op.execute("CREATE TRIGGER case_tally_move AFTER UPDATE ON referral_case FOR EACH ROW"
                   f" WHEN ({CHANGED.replace(' IS NOT ', ' IS DISTINCT FROM ')})"
                   " EXECUTE FUNCTION case_tally_count()")
    else:
        op.execute("CREATE TRIGGER case_tally_insert AFTER INSERT ON referral_case BEGIN"
                   f"{SQLITE_ADD.format(row='NEW', d=1)} END")
        op.execute("CREATE TRIGGER case_tally_delete AFTER DELETE ON referral_case BEGIN"
                   f"{SQLITE_ADD.format(row='OLD', d=-1)} END")
        op.execute(f"CREATE TRIGGER case_tally_update AFTER UPDATE ON referral_case WHEN {CHANGED}"
                   f" BEGIN{SQLITE_ADD.format(row='OLD', d=-1)}"
                   f"{SQLITE_ADD.format(row='NEW', d=1)} END")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER case_tally_move ON referral_case")
        op.execute("DROP TRIGGER case_tally_write ON referral_case")
        op.execute("DROP FUNCTION case_tally_count()")
        op.execute("DROP FUNCTION case_tally_add(integer, integer, integer, text, integer)")
    else:
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER case_tally_{name}")
    op.drop_index("ix_audit_event_actor_case", table_name="audit_event")
    op.drop_index("ix_referral_case_state_since_id", table_name="referral_case")
    op.drop_table("case_tally")
