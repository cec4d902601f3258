"""invalid mobile flag

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25

Reviewed: one nullable column; batch mode for SQLite.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mobile_invalid_at', sa.DateTime(), nullable=True))



def downgrade():
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.drop_column('mobile_invalid_at')

