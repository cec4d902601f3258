"""every change to a broadcast is conditional on the version its actor saw

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01

Reviewed: adds broadcasts.version, an integer every change bumps (the ORM's version_id_col for changes made
through the model, an explicit `version = version + 1` in the worker's conditional UPDATEs). Existing rows
get 1 through the server default, which the upgrade keeps so that a row written by an older process still
gets a version; the model always writes one itself. No other data changes; no index (every conditional
UPDATE already names the primary key). The downgrade drops the column, and with it the protection.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('broadcasts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='1'))


def downgrade():
    with op.batch_alter_table('broadcasts', schema=None) as batch_op:
        batch_op.drop_column('version')
