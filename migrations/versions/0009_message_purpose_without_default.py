"""every outbound message says what it is for: no default purpose

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01

Reviewed: drops only the server default of outbound_messages.purpose that 0006 gave the rows that existed
then (all broadcasts). Every sender now names the purpose, since it decides what opt-out and quiet hours
do to the message (an account notice must not be held like a broadcast by a forgotten default); an insert
without one fails instead of guessing. No data changes. The downgrade puts the default back.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

PURPOSE = sa.Enum('broadcast', 'reply', 'service', name='messagepurpose', native_enum=False, length=10)


def upgrade():
    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.alter_column('purpose', existing_type=PURPOSE, existing_nullable=False, server_default=None)


def downgrade():
    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.alter_column('purpose', existing_type=PURPOSE, existing_nullable=False, server_default='broadcast')
