"""every change to a broadcast is conditional on the version its actor saw

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01

Reviewed: (placeholder, filled in by the change that owns it)
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
