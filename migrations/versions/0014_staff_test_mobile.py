"""a staff member's own mobile for test sends, verified by an admin; test sends in the outbox

Revision ID: 0014_staff_test_mobile
Revises: 0013
Create Date: 2026-12-02

Reviewed: staff gains `test_mobile` (E.164, the author's own handset, never the phone shown to clients), and
who entered it, who verified it and when (NULL: not verified; changing the number clears both; the admin who
entered a number never verifies it). outbound_messages.client_id
becomes nullable, for the one kind of message that goes to no client: a test send (purpose "test") to its
sender's verified mobile; a CHECK keeps every other message tied to a client. Existing rows all have a client
and satisfy it. On SQLite the column change recreates the table (Alembic's batch mode), which drops its
triggers: the two of revision 0013 on outbound_messages (queue each new row for sealing, refuse deletes) are
created again here exactly as 0013 made them; on PostgreSQL the ALTER keeps them. Downgrade refuses while a test
send is stored (its rows cannot get a client, and records are never deleted), else restores NOT NULL.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014_staff_test_mobile'
down_revision = '0013'
branch_labels = None
depends_on = None

KEEP = "records are kept for RETENTION_YEARS: rows of outbound_messages are never deleted"


def _sqlite_triggers_again(connection) -> None:
    """The triggers of revision 0013 on outbound_messages, which SQLite's table copy dropped."""
    if connection.dialect.name == "postgresql":
        return
    connection.execute(sa.text("DROP TRIGGER IF EXISTS outbound_messages_queue_seal"))
    connection.execute(sa.text("DROP TRIGGER IF EXISTS outbound_messages_keep"))
    connection.execute(sa.text(
        "CREATE TRIGGER outbound_messages_queue_seal AFTER INSERT ON outbound_messages "
        "BEGIN INSERT INTO seal_queue (record_type, record_id) VALUES ('message', NEW.id); END"))
    connection.execute(sa.text("CREATE TRIGGER outbound_messages_keep BEFORE DELETE ON outbound_messages "
                               f"BEGIN SELECT RAISE(ABORT, '{KEEP}'); END"))


def upgrade():
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.add_column(sa.Column('test_mobile', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('test_mobile_set_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('test_mobile_verified_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('test_mobile_verified_at', sa.DateTime(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_staff_test_mobile_verified_by_id_staff'), 'staff',
                                    ['test_mobile_verified_by_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_staff_test_mobile_set_by_id_staff'), 'staff',
                                    ['test_mobile_set_by_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.alter_column('client_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_check_constraint(op.f('ck_outbound_messages_client_or_test'), "client_id IS NOT NULL OR purpose = 'test'")
    _sqlite_triggers_again(op.get_bind())


def downgrade():
    connection = op.get_bind()
    if connection.scalar(sa.text("SELECT count(*) FROM outbound_messages WHERE client_id IS NULL")):
        raise RuntimeError("test sends are stored (outbound_messages without a client); records are never "
                           "deleted, so this revision cannot be undone")
    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_outbound_messages_client_or_test'), type_='check')
        batch_op.alter_column('client_id', existing_type=sa.Integer(), nullable=False)
    _sqlite_triggers_again(connection)

    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_staff_test_mobile_verified_by_id_staff'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_staff_test_mobile_set_by_id_staff'), type_='foreignkey')
        batch_op.drop_column('test_mobile_verified_at')
        batch_op.drop_column('test_mobile_verified_by_id')
        batch_op.drop_column('test_mobile_set_by_id')
        batch_op.drop_column('test_mobile')
