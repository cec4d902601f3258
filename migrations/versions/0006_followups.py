"""follow-ups: client replies, follow-up items and their events, rules and canned answers; replies through the outbox

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25

Reviewed: four new tables; outbound_messages.broadcast_id becomes nullable (an answer to a follow-up has no
broadcast) with followup_id, purpose (existing rows are broadcasts: server default) and sent_by_id;
staff gains on_duty (existing staff off duty) and last_routed_at. The unique (broadcast_id, client_id) still
holds for broadcasts; NULL broadcast_ids never collide on either database. Batch mode for SQLite.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('canned_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_canned_answers'))
    )
    op.create_table('classification_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('category', sa.Enum('opt_out', 'opt_in', 'help', 'research_question', 'complaint', 'account_service', 'feedback', name='category', native_enum=False, length=20), nullable=False),
    sa.Column('keywords', sa.JSON(), nullable=False),
    sa.Column('patterns', sa.JSON(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['updated_by_id'], ['staff.id'], name=op.f('fk_classification_rules_updated_by_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_classification_rules')),
    sa.UniqueConstraint('category', name=op.f('uq_classification_rules_category'))
    )
    op.create_table('followups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('queue', sa.Enum('research', 'business', 'triage', name='queue', native_enum=False, length=10), nullable=False),
    sa.Column('category', sa.Enum('opt_out', 'opt_in', 'help', 'research_question', 'complaint', 'account_service', 'feedback', name='category', native_enum=False, length=20), nullable=False),
    sa.Column('rule', sa.String(length=200), nullable=False),
    sa.Column('priority', sa.Enum('high', 'normal', name='priority', native_enum=False), nullable=False),
    sa.Column('status', sa.Enum('open', 'answered', 'resolved', name='status', native_enum=False, length=10), nullable=False),
    sa.Column('suggest_opt_out', sa.Boolean(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=True),
    sa.Column('from_number', sa.String(length=32), nullable=False),
    sa.Column('branch', sa.String(length=100), nullable=True),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('claimed_at', sa.DateTime(), nullable=True),
    sa.Column('broadcast_id', sa.Integer(), nullable=True),
    sa.Column('due_at', sa.DateTime(), nullable=True),
    sa.Column('first_response_at', sa.DateTime(), nullable=True),
    sa.Column('first_responder_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('last_inbound_at', sa.DateTime(), nullable=False),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['assignee_id'], ['staff.id'], name=op.f('fk_followups_assignee_id_staff')),
    sa.ForeignKeyConstraint(['broadcast_id'], ['broadcasts.id'], name=op.f('fk_followups_broadcast_id_broadcasts')),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_followups_client_id_clients')),
    sa.ForeignKeyConstraint(['first_responder_id'], ['staff.id'], name=op.f('fk_followups_first_responder_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_followups'))
    )
    with op.batch_alter_table('followups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_followups_assignee_id'), ['assignee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_followups_branch'), ['branch'], unique=False)
        batch_op.create_index(batch_op.f('ix_followups_broadcast_id'), ['broadcast_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_followups_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_followups_from_number'), ['from_number'], unique=False)
        batch_op.create_index('ix_followups_status_queue_due', ['status', 'queue', 'due_at'], unique=False)

    op.create_table('followup_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('followup_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('note', 'claim', 'assign', 'reroute', 'category', 'resolve', 'reopen', 'opt_out', 'opt_in', 'auto_reply', name='eventkind', native_enum=False, length=12), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['staff.id'], name=op.f('fk_followup_events_author_id_staff')),
    sa.ForeignKeyConstraint(['followup_id'], ['followups.id'], name=op.f('fk_followup_events_followup_id_followups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_followup_events'))
    )
    with op.batch_alter_table('followup_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_followup_events_followup_id'), ['followup_id'], unique=False)

    op.create_table('inbound_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider_sid', sa.String(length=64), nullable=False),
    sa.Column('from_number', sa.String(length=32), nullable=False),
    sa.Column('to_number', sa.String(length=32), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('num_segments', sa.Integer(), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=True),
    sa.Column('broadcast_id', sa.Integer(), nullable=True),
    sa.Column('followup_id', sa.Integer(), nullable=True),
    sa.Column('category', sa.Enum('opt_out', 'opt_in', 'help', 'research_question', 'complaint', 'account_service', 'feedback', name='category', native_enum=False, length=20), nullable=True),
    sa.Column('routed_at', sa.DateTime(), nullable=True),
    sa.Column('routing_error', sa.String(length=300), nullable=True),
    sa.ForeignKeyConstraint(['broadcast_id'], ['broadcasts.id'], name=op.f('fk_inbound_messages_broadcast_id_broadcasts')),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_inbound_messages_client_id_clients')),
    sa.ForeignKeyConstraint(['followup_id'], ['followups.id'], name=op.f('fk_inbound_messages_followup_id_followups')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbound_messages')),
    sa.UniqueConstraint('provider_sid', name=op.f('uq_inbound_messages_provider_sid'))
    )
    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inbound_messages_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inbound_messages_followup_id'), ['followup_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inbound_messages_from_number'), ['from_number'], unique=False)

    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('followup_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('purpose', sa.Enum('broadcast', 'reply', 'service', name='messagepurpose', native_enum=False, length=10), nullable=False,
                                      server_default='broadcast'))
        batch_op.add_column(sa.Column('sent_by_id', sa.Integer(), nullable=True))
        batch_op.alter_column('broadcast_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.create_index(batch_op.f('ix_outbound_messages_followup_id'), ['followup_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_outbound_messages_followup_id_followups'), 'followups', ['followup_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_outbound_messages_sent_by_id_staff'), 'staff', ['sent_by_id'], ['id'])

    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.add_column(sa.Column('on_duty', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('last_routed_at', sa.DateTime(), nullable=True))



def downgrade():
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_column('last_routed_at')
        batch_op.drop_column('on_duty')

    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbound_messages_sent_by_id_staff'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_outbound_messages_followup_id_followups'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_outbound_messages_followup_id'))
        batch_op.alter_column('broadcast_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('sent_by_id')
        batch_op.drop_column('purpose')
        batch_op.drop_column('followup_id')

    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inbound_messages_from_number'))
        batch_op.drop_index(batch_op.f('ix_inbound_messages_followup_id'))
        batch_op.drop_index(batch_op.f('ix_inbound_messages_client_id'))

    op.drop_table('inbound_messages')
    with op.batch_alter_table('followup_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_followup_events_followup_id'))

    op.drop_table('followup_events')
    with op.batch_alter_table('followups', schema=None) as batch_op:
        batch_op.drop_index('ix_followups_status_queue_due')
        batch_op.drop_index(batch_op.f('ix_followups_from_number'))
        batch_op.drop_index(batch_op.f('ix_followups_client_id'))
        batch_op.drop_index(batch_op.f('ix_followups_broadcast_id'))
        batch_op.drop_index(batch_op.f('ix_followups_branch'))
        batch_op.drop_index(batch_op.f('ix_followups_assignee_id'))

    op.drop_table('followups')
    op.drop_table('classification_rules')
    op.drop_table('canned_answers')
