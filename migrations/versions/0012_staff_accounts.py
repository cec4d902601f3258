"""staff accounts: revocable sessions, second factor, expiring tokens, role grants, qualification numbers

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01

Reviewed: (placeholder, filled in by the change that owns it)
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.add_column(sa.Column('qualification_no', sa.String(length=20), nullable=True))


def downgrade():
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_column('qualification_no')
