"""investor appropriateness: clients' category and risk tolerance, broadcasts' risk level

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01

Reviewed: (placeholder, filled in by the change that owns it)
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
