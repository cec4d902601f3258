"""records a regulator can trust: a hash chain over messages and audit entries

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01

Reviewed: two new tables and database triggers; no existing column changes. `seals` is the chain (one row
per sealed record, `seq`, `prev_hash` and `hash` unique so that two sealers cannot fork it, one seal per
(record_type, record_id)); `seal_queue` holds records written and not sealed yet. Triggers on insert into
outbound_messages and audit_log queue each new row in the inserting transaction (PostgreSQL: one
statement-level trigger with a transition table, so the COPY of a 100,000-recipient snapshot adds one
INSERT ... SELECT, not 100,000 trigger calls), so a row committed late is queued when it becomes visible.
Every existing message and audit entry is queued here, oldest first, for the first sealing run.
Retention: BEFORE DELETE triggers refuse to delete any row of outbound_messages, audit_log and seals, and
any broadcast that started sending (started_at set); on PostgreSQL a BEFORE TRUNCATE trigger refuses
TRUNCATE of those tables as well. The application also refuses (records.retention, RETENTION_YEARS); the
database never deletes a record, so removing records older than the retention period is a deliberate act
of the database's owner (dropping these triggers), not something the application can do. The test suite
empties every table after each test: it drops the keep triggers for that and creates them again with
`drop_keep_triggers`/`create_keep_triggers` below (tests/conftest.py). The downgrade drops the triggers and
both tables (the seals are lost; the records stay).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

QUEUED = (("outbound_messages", "message"), ("audit_log", "audit"))
KEPT = ("outbound_messages", "audit_log", "seals")
MESSAGE = "records are kept for RETENTION_YEARS: rows of %s are never deleted"


def create_keep_triggers(connection) -> None:
    """The database's refusal to delete records (see the review note above)."""
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text(
            "CREATE OR REPLACE FUNCTION records_keep() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"RAISE EXCEPTION '{MESSAGE}', TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation'; "
            "END $$"))
        for table in KEPT:
            connection.execute(sa.text(f"CREATE TRIGGER {table}_keep BEFORE DELETE ON {table} "
                                       "FOR EACH ROW EXECUTE FUNCTION records_keep()"))
            connection.execute(sa.text(f"CREATE TRIGGER {table}_keep_all BEFORE TRUNCATE ON {table} "
                                       "FOR EACH STATEMENT EXECUTE FUNCTION records_keep()"))
        connection.execute(sa.text("CREATE TRIGGER broadcasts_keep BEFORE DELETE ON broadcasts FOR EACH ROW "
                                   "WHEN (OLD.started_at IS NOT NULL) EXECUTE FUNCTION records_keep()"))
        connection.execute(sa.text("CREATE TRIGGER broadcasts_keep_all BEFORE TRUNCATE ON broadcasts "
                                   "FOR EACH STATEMENT EXECUTE FUNCTION records_keep()"))
    else:
        for table in KEPT:
            connection.execute(sa.text(f"CREATE TRIGGER {table}_keep BEFORE DELETE ON {table} "
                                       f"BEGIN SELECT RAISE(ABORT, '{MESSAGE % table}'); END"))
        connection.execute(sa.text("CREATE TRIGGER broadcasts_keep BEFORE DELETE ON broadcasts "
                                   "WHEN OLD.started_at IS NOT NULL "
                                   f"BEGIN SELECT RAISE(ABORT, '{MESSAGE % 'broadcasts that were sent'}'); END"))


def drop_keep_triggers(connection) -> None:
    postgres = connection.dialect.name == "postgresql"
    for table in (*KEPT, "broadcasts"):
        connection.execute(sa.text(f"DROP TRIGGER IF EXISTS {table}_keep" + (f" ON {table}" if postgres else "")))
        if postgres:
            connection.execute(sa.text(f"DROP TRIGGER IF EXISTS {table}_keep_all ON {table}"))
    if postgres:
        connection.execute(sa.text("DROP FUNCTION IF EXISTS records_keep()"))


def _create_queue_triggers(connection) -> None:
    if connection.dialect.name == "postgresql":
        for table, kind in QUEUED:
            connection.execute(sa.text(
                f"CREATE OR REPLACE FUNCTION {table}_queue_seal() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"INSERT INTO seal_queue (record_type, record_id) SELECT '{kind}', id FROM written ORDER BY id; "
                "RETURN NULL; END $$"))
            connection.execute(sa.text(
                f"CREATE TRIGGER {table}_queue_seal AFTER INSERT ON {table} REFERENCING NEW TABLE AS written "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_queue_seal()"))
    else:
        for table, kind in QUEUED:
            connection.execute(sa.text(
                f"CREATE TRIGGER {table}_queue_seal AFTER INSERT ON {table} "
                f"BEGIN INSERT INTO seal_queue (record_type, record_id) VALUES ('{kind}', NEW.id); END"))


def _drop_queue_triggers(connection) -> None:
    postgres = connection.dialect.name == "postgresql"
    for table, _ in QUEUED:
        connection.execute(sa.text(f"DROP TRIGGER IF EXISTS {table}_queue_seal" + (f" ON {table}" if postgres else "")))
        if postgres:
            connection.execute(sa.text(f"DROP FUNCTION IF EXISTS {table}_queue_seal()"))


def upgrade():
    op.create_table('seals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('record_type', sa.String(length=10), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('record_at', sa.DateTime(), nullable=False),
    sa.Column('form', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('sealed_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_seals')),
    sa.UniqueConstraint('hash', name=op.f('uq_seals_hash')),
    sa.UniqueConstraint('prev_hash', name=op.f('uq_seals_prev_hash')),
    sa.UniqueConstraint('record_type', 'record_id', name='uq_seals_record'),
    sa.UniqueConstraint('seq', name=op.f('uq_seals_seq'))
    )
    with op.batch_alter_table('seals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_seals_record_at'), ['record_at'], unique=False)

    op.create_table('seal_queue',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_type', sa.String(length=10), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_seal_queue'))
    )
    connection = op.get_bind()
    connection.execute(sa.text("INSERT INTO seal_queue (record_type, record_id) "
                               "SELECT 'audit', id FROM audit_log ORDER BY id"))
    connection.execute(sa.text("INSERT INTO seal_queue (record_type, record_id) "
                               "SELECT 'message', id FROM outbound_messages ORDER BY id"))
    _create_queue_triggers(connection)
    create_keep_triggers(connection)


def downgrade():
    connection = op.get_bind()
    drop_keep_triggers(connection)
    _drop_queue_triggers(connection)
    op.drop_table('seal_queue')
    with op.batch_alter_table('seals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_seals_record_at'))
    op.drop_table('seals')
