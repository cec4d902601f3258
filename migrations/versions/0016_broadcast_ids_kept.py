"""a deleted draft's id is never given to another broadcast (SQLite AUTOINCREMENT)

Revision ID: 0016_broadcast_ids_kept
Revises: 0015_canned_scope
Create Date: 2026-12-01

Reviewed: a draft never submitted may now be deleted (broadcast/drafts.py). SQLite, the embedded default, gives a
new row the highest id in use plus one, so deleting the newest draft handed its id to the next broadcast, which
then inherited the deleted draft's audit history (the audit log names broadcasts by id). PostgreSQL's sequence
never gives an id twice, so this revision changes nothing there. On SQLite the table is copied with
`INTEGER PRIMARY KEY AUTOINCREMENT` (Alembic's batch mode; no data changes, foreign keys are not enforced on
SQLite here), the counter starts above every id the audit log has ever named for a broadcast (a draft deleted
before this revision included), and revision 0013's trigger refusing to delete a sent broadcast, which the copy
drops, is made again. Downgrade copies the table back without AUTOINCREMENT and keeps the trigger.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0016_broadcast_ids_kept'
down_revision = '0015_canned_scope'
branch_labels = None
depends_on = None

KEEP = "records are kept for RETENTION_YEARS: rows of broadcasts that were sent are never deleted"


def _keep_trigger_again(connection) -> None:
    """Revision 0013's trigger on broadcasts, which SQLite's table copy dropped."""
    connection.execute(sa.text("DROP TRIGGER IF EXISTS broadcasts_keep"))
    connection.execute(sa.text("CREATE TRIGGER broadcasts_keep BEFORE DELETE ON broadcasts "
                               f"WHEN OLD.started_at IS NOT NULL BEGIN SELECT RAISE(ABORT, '{KEEP}'); END"))


def _copy(autoincrement: bool) -> None:
    with op.batch_alter_table('broadcasts', recreate='always',
                              table_kwargs={'sqlite_autoincrement': autoincrement}) as batch_op:
        batch_op.alter_column('id', existing_type=sa.Integer(), autoincrement=True)


def upgrade():
    connection = op.get_bind()
    if connection.dialect.name != 'sqlite':
        return
    _copy(True)
    _keep_trigger_again(connection)
    # the highest broadcast id ever used: in the table, or named by the audit log (a draft deleted already)
    named = connection.scalars(sa.text(
        "SELECT object_id FROM audit_log WHERE object_type = 'broadcast' AND object_id IS NOT NULL"))
    highest = max([connection.scalar(sa.text("SELECT coalesce(max(id), 0) FROM broadcasts")) or 0,
                   *(int(v) for v in named if str(v).isdigit())])
    connection.execute(sa.text("DELETE FROM sqlite_sequence WHERE name = 'broadcasts'"))
    connection.execute(sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES ('broadcasts', :seq)"),
                       {"seq": highest})


def downgrade():
    connection = op.get_bind()
    if connection.dialect.name != 'sqlite':
        return
    _copy(False)
    _keep_trigger_again(connection)
