"""broadcast sending times and scheduler jobs

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25

Reviewed: nullable columns only, so existing broadcasts need no backfill; batch mode for SQLite.
apscheduler_jobs has exactly the shape APScheduler's SQLAlchemyJobStore defines, so it uses this table.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('apscheduler_jobs',
    sa.Column('id', sa.Unicode(length=191), nullable=False),
    sa.Column('next_run_time', sa.Float(precision=25), nullable=True),
    sa.Column('job_state', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_apscheduler_jobs'))
    )
    with op.batch_alter_table('apscheduler_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_apscheduler_jobs_next_run_time'), ['next_run_time'], unique=False)

    with op.batch_alter_table('broadcasts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('send_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('scheduled_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('started_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('finished_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('state_reason', sa.String(length=200), nullable=True))
        batch_op.create_index(batch_op.f('ix_broadcasts_send_at'), ['send_at'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_broadcasts_scheduled_by_id_staff'), 'staff', ['scheduled_by_id'], ['id'])



def downgrade():
    with op.batch_alter_table('broadcasts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_broadcasts_scheduled_by_id_staff'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_broadcasts_send_at'))
        batch_op.drop_column('state_reason')
        batch_op.drop_column('finished_at')
        batch_op.drop_column('started_at')
        batch_op.drop_column('scheduled_by_id')
        batch_op.drop_column('send_at')

    with op.batch_alter_table('apscheduler_jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_apscheduler_jobs_next_run_time'))

    op.drop_table('apscheduler_jobs')
