"""investor appropriateness: clients' category and risk tolerance, broadcasts' risk level

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01

Reviewed: adds three nullable columns to clients (investor_type ordinary/professional, risk_tolerance C1-C5,
risk_assessed_on), filled by the next import that carries them; until then a client has no assessment and
receives no broadcast above R1. Adds broadcasts.risk_level (R1-R5, NOT NULL), filled for existing rows by
their kind's default (trade suggestions R4, the default of SUGGESTION_RISK_LEVEL, which is raised at send
time if the setting says more; commentaries and monthly reports R2; invitations and risk notices R1), and
broadcasts.risk_excluded (JSON, nullable), the snapshot's count of clients left out by appropriateness.
The broadcast kind risk_notice retires (account notices come from the risk desk): a risk notice that has
not started sending (submitted, approved, scheduled, missed, or paused before it started) goes back to
draft, losing its approval and schedule, with state_reason saying why, and version bumped (0010), so that
it can only be sent again as another, approved kind; drafts and rejected ones stay as they are and cannot
be submitted until their kind is changed. Risk notices that are sending (their recipients were chosen
under the old rules; R1 is for everyone) or finished stay as they are and still display. The downgrade
drops the columns; risk notices sent back to draft stay drafts.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

RETIRED_REASON = "risk notices are retired (migration 0011): change the kind and submit it again"


def upgrade():
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('investor_type', sa.Enum('ordinary', 'professional', name='investortype',
                                                               native_enum=False, length=12), nullable=True))
        batch_op.add_column(sa.Column('risk_tolerance', sa.Enum('C1', 'C2', 'C3', 'C4', 'C5', name='risktolerance',
                                                                native_enum=False, length=2), nullable=True))
        batch_op.add_column(sa.Column('risk_assessed_on', sa.Date(), nullable=True))

    level = sa.Enum('R1', 'R2', 'R3', 'R4', 'R5', name='risklevel', native_enum=False, length=2)
    with op.batch_alter_table('broadcasts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('risk_level', level, nullable=True))
        batch_op.add_column(sa.Column('risk_excluded', sa.JSON(), nullable=True))
    op.execute("UPDATE broadcasts SET risk_level = CASE kind WHEN 'trade_suggestion' THEN 'R4' "
               "WHEN 'daily_comment' THEN 'R2' WHEN 'weekly_comment' THEN 'R2' WHEN 'monthly_report' THEN 'R2' "
               "ELSE 'R1' END")
    with op.batch_alter_table('broadcasts', schema=None) as batch_op:
        batch_op.alter_column('risk_level', existing_type=level, nullable=False)

    broadcasts = sa.table('broadcasts', sa.column('kind', sa.String), sa.column('state', sa.String),
                          sa.column('state_reason', sa.String), sa.column('submitted_at', sa.DateTime),
                          sa.column('decided_by_id', sa.Integer), sa.column('decided_at', sa.DateTime),
                          sa.column('send_at', sa.DateTime), sa.column('scheduled_by_id', sa.Integer),
                          sa.column('recurrence', sa.String), sa.column('version', sa.Integer))
    not_started = sa.or_(broadcasts.c.state.in_(['submitted', 'approved', 'scheduled', 'missed']),
                         sa.and_(broadcasts.c.state == 'paused', broadcasts.c.state_reason == 'scheduled'))
    op.execute(broadcasts.update().where(broadcasts.c.kind == 'risk_notice', not_started).values(
        state='draft', state_reason=RETIRED_REASON, submitted_at=None, decided_by_id=None, decided_at=None,
        send_at=None, scheduled_by_id=None, recurrence=None, version=broadcasts.c.version + 1))


def downgrade():
    with op.batch_alter_table('broadcasts', schema=None) as batch_op:
        batch_op.drop_column('risk_excluded')
        batch_op.drop_column('risk_level')
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.drop_column('risk_assessed_on')
        batch_op.drop_column('risk_tolerance')
        batch_op.drop_column('investor_type')
