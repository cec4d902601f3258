"""broadcasts and outbound messages

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25

Reviewed: one outbound message per (broadcast, client), held by a unique constraint; provider SIDs
and research-note tokens unique; (state, next_attempt_at) indexed for the worker that picks messages.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('broadcasts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('trade_suggestion', 'daily_comment', 'weekly_comment', 'monthly_report', 'seminar_invite', 'risk_notice', name='broadcastkind', native_enum=False, length=20), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('note_markdown', sa.Text(), nullable=True),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('state', sa.Enum('draft', 'submitted', 'approved', 'rejected', 'scheduled', 'sending', 'paused', 'completed', 'cancelled', 'missed', name='broadcaststate', native_enum=False, length=12), nullable=False),
    sa.Column('audience', sa.JSON(), nullable=False),
    sa.Column('contract', sa.String(length=12), nullable=True),
    sa.Column('direction', sa.Enum('long', 'short', name='direction', native_enum=False), nullable=True),
    sa.Column('entry', sa.String(length=40), nullable=True),
    sa.Column('stop', sa.String(length=20), nullable=True),
    sa.Column('targets', sa.JSON(), nullable=True),
    sa.Column('position_pct', sa.Numeric(precision=5, scale=2), nullable=True),
    sa.Column('valid_until', sa.DateTime(), nullable=True),
    sa.Column('risk_statement', sa.Text(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decision_comment', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['staff.id'], name=op.f('fk_broadcasts_author_id_staff')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['staff.id'], name=op.f('fk_broadcasts_decided_by_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_broadcasts'))
    )
    with op.batch_alter_table('broadcasts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_broadcasts_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_broadcasts_state'), ['state'], unique=False)

    op.create_table('outbound_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('broadcast_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('to', sa.String(length=20), nullable=False),
    sa.Column('tier', sa.String(length=12), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('segments', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('pending', 'handing_over', 'queued', 'sent', 'delivered', 'undelivered', 'failed', 'suppressed', 'expired', 'cancelled', 'unknown', name='messagestate', native_enum=False), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=True),
    sa.Column('provider_sid', sa.String(length=64), nullable=True),
    sa.Column('error_code', sa.String(length=10), nullable=True),
    sa.Column('error_message', sa.String(length=300), nullable=True),
    sa.Column('note_token', sa.String(length=32), nullable=True),
    sa.Column('note_opens', sa.Integer(), nullable=False),
    sa.Column('note_first_opened_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('handed_over_at', sa.DateTime(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['broadcast_id'], ['broadcasts.id'], name=op.f('fk_outbound_messages_broadcast_id_broadcasts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_outbound_messages_client_id_clients')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbound_messages')),
    sa.UniqueConstraint('broadcast_id', 'client_id', name='uq_outbound_messages_broadcast_client'),
    sa.UniqueConstraint('note_token', name=op.f('uq_outbound_messages_note_token')),
    sa.UniqueConstraint('provider_sid', name=op.f('uq_outbound_messages_provider_sid'))
    )
    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbound_messages_broadcast_id'), ['broadcast_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbound_messages_client_id'), ['client_id'], unique=False)
        batch_op.create_index('ix_outbound_messages_state_next', ['state', 'next_attempt_at'], unique=False)



def downgrade():
    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_outbound_messages_state_next')
        batch_op.drop_index(batch_op.f('ix_outbound_messages_client_id'))
        batch_op.drop_index(batch_op.f('ix_outbound_messages_broadcast_id'))

    op.drop_table('outbound_messages')
    with op.batch_alter_table('broadcasts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_broadcasts_state'))
        batch_op.drop_index(batch_op.f('ix_broadcasts_author_id'))

    op.drop_table('broadcasts')
