"""several workers: a registry of worker runs, which worker claimed a message, the shared send rate

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25

Reviewed: two new tables: workers (one row per `flask worker` run; liveness comes from an advisory lock,
not from this table) and send_slots (the one-row rate limit shared by the workers, created on first use, so
no data row here). outbound_messages gains claimed_by, nullable (messages claimed before this revision were
claimed by the single worker of that time, and a leader treats NULL as a worker that is gone), with a
foreign key to workers; batch mode for SQLite. apscheduler_jobs is dropped: the leader worker's own loop
runs the periodic job (APScheduler's job store cannot be shared by several schedulers, and it held nothing
but that one interval job); the downgrade recreates it empty, as 0003 made it, and APScheduler's job store
re-adds its job on start.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('send_slots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('next_slot', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_send_slots'))
    )
    op.create_table('workers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('pid', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(), nullable=False),
    sa.Column('stopped_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workers'))
    )
    with op.batch_alter_table('apscheduler_jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_apscheduler_jobs_next_run_time'))

    op.drop_table('apscheduler_jobs')
    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_by', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_outbound_messages_claimed_by_workers'), 'workers', ['claimed_by'], ['id'])



def downgrade():
    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbound_messages_claimed_by_workers'), type_='foreignkey')
        batch_op.drop_column('claimed_by')

    op.create_table('apscheduler_jobs',
    sa.Column('id', sa.Unicode(length=191), nullable=False),
    sa.Column('next_run_time', sa.Float(precision=25), nullable=True),
    sa.Column('job_state', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_apscheduler_jobs'))
    )
    with op.batch_alter_table('apscheduler_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_apscheduler_jobs_next_run_time'), ['next_run_time'], unique=False)

    op.drop_table('workers')
    op.drop_table('send_slots')
