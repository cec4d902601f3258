"""recurring broadcasts

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25

Reviewed: nullable columns only; batch mode for SQLite.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('broadcasts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recurrence', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('parent_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_broadcasts_parent_id'), ['parent_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_broadcasts_parent_id_broadcasts'), 'broadcasts', ['parent_id'], ['id'])



def downgrade():
    with op.batch_alter_table('broadcasts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_broadcasts_parent_id_broadcasts'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_broadcasts_parent_id'))
        batch_op.drop_column('parent_id')
        batch_op.drop_column('recurrence')

