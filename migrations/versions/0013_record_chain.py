"""records a regulator can trust: a hash chain over messages and audit entries

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01

Reviewed: (placeholder, filled in by the change that owns it)
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
