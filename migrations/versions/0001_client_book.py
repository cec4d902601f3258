"""client book, staff, roles, audit log, tier reviews

Revision ID: 0001
Revises: 
Create Date: 2026-11-25

Reviewed: UTC datetimes are stored naive (core.timeutil.UTCDateTime renders as DateTime);
enums are VARCHAR (native_enum=False) so the same revision runs on SQLite and PostgreSQL.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('staff',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('branch', sa.String(length=100), nullable=True),
    sa.Column('staff_code', sa.String(length=40), nullable=True),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('locale', sa.String(length=10), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff')),
    sa.UniqueConstraint('email', name=op.f('uq_staff_email')),
    sa.UniqueConstraint('staff_code', name=op.f('uq_staff_staff_code'))
    )
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_branch'), ['branch'], unique=False)

    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_used_at', sa.DateTime(), nullable=True),
    sa.Column('revoked', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_api_tokens_staff_id_staff'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_staff_id'), ['staff_id'], unique=False)

    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_label', sa.String(length=200), nullable=True),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('object_type', sa.String(length=40), nullable=True),
    sa.Column('object_id', sa.String(length=80), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=True),
    sa.Column('ip', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['staff.id'], name=op.f('fk_audit_log_actor_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_at'), ['at'], unique=False)

    op.create_table('clients',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_no', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('mobile', sa.String(length=20), nullable=True),
    sa.Column('branch', sa.String(length=100), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('opened_on', sa.Date(), nullable=True),
    sa.Column('last_trade_on', sa.Date(), nullable=True),
    sa.Column('last_position_on', sa.Date(), nullable=True),
    sa.Column('opted_out', sa.Boolean(), nullable=False),
    sa.Column('opted_out_at', sa.DateTime(), nullable=True),
    sa.Column('opt_out_source', sa.String(length=120), nullable=True),
    sa.Column('tier', sa.Enum('diamond', 'platinum', 'gold', 'quality', 'effective', 'dormant', 'ordinary', name='tier', native_enum=False, length=12), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['staff.id'], name=op.f('fk_clients_owner_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clients')),
    sa.UniqueConstraint('account_no', name=op.f('uq_clients_account_no'))
    )
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clients_branch'), ['branch'], unique=False)
        batch_op.create_index(batch_op.f('ix_clients_mobile'), ['mobile'], unique=False)
        batch_op.create_index(batch_op.f('ix_clients_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_clients_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_clients_tier'), ['tier'], unique=False)

    op.create_table('import_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('clients', 'monthly', name='importkind', native_enum=False, length=10), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('created', sa.Integer(), nullable=False),
    sa.Column('updated', sa.Integer(), nullable=False),
    sa.Column('unchanged', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_import_runs_staff_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_runs'))
    )
    op.create_table('staff_roles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('chief_analyst', 'researcher', 'business_staff', 'approver', 'admin', name='role', native_enum=False, length=20), nullable=False),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_staff_roles_staff_id_staff'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_roles')),
    sa.UniqueConstraint('staff_id', 'role', name='uq_staff_roles_staff_role')
    )
    with op.batch_alter_table('staff_roles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_roles_staff_id'), ['staff_id'], unique=False)

    op.create_table('tier_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('quarter', sa.String(length=6), nullable=False),
    sa.Column('state', sa.Enum('draft', 'published', name='reviewstate', native_enum=False, length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['staff.id'], name=op.f('fk_tier_reviews_created_by_id_staff')),
    sa.ForeignKeyConstraint(['published_by_id'], ['staff.id'], name=op.f('fk_tier_reviews_published_by_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tier_reviews'))
    )
    with op.batch_alter_table('tier_reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tier_reviews_quarter'), ['quarter'], unique=False)

    op.create_table('monthly_figures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('avg_equity', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('commission', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('month_end_equity', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_monthly_figures_client_id_clients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_monthly_figures')),
    sa.UniqueConstraint('client_id', 'month', name='uq_monthly_figures_client_month')
    )
    with op.batch_alter_table('monthly_figures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_monthly_figures_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_monthly_figures_month'), ['month'], unique=False)

    op.create_table('tier_assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('tier', sa.Enum('diamond', 'platinum', 'gold', 'quality', 'effective', 'dormant', 'ordinary', name='tier', native_enum=False, length=12), nullable=False),
    sa.Column('previous_tier', sa.Enum('diamond', 'platinum', 'gold', 'quality', 'effective', 'dormant', 'ordinary', name='tier', native_enum=False, length=12), nullable=True),
    sa.Column('change', sa.String(length=10), nullable=False),
    sa.Column('avg_equity', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('avg_commission', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('year_end_equity', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_tier_assignments_client_id_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['review_id'], ['tier_reviews.id'], name=op.f('fk_tier_assignments_review_id_tier_reviews'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tier_assignments')),
    sa.UniqueConstraint('review_id', 'client_id', name='uq_tier_assignments_review_client')
    )
    with op.batch_alter_table('tier_assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tier_assignments_change'), ['change'], unique=False)
        batch_op.create_index(batch_op.f('ix_tier_assignments_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tier_assignments_review_id'), ['review_id'], unique=False)



def downgrade():
    with op.batch_alter_table('tier_assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tier_assignments_review_id'))
        batch_op.drop_index(batch_op.f('ix_tier_assignments_client_id'))
        batch_op.drop_index(batch_op.f('ix_tier_assignments_change'))

    op.drop_table('tier_assignments')
    with op.batch_alter_table('monthly_figures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_monthly_figures_month'))
        batch_op.drop_index(batch_op.f('ix_monthly_figures_client_id'))

    op.drop_table('monthly_figures')
    with op.batch_alter_table('tier_reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tier_reviews_quarter'))

    op.drop_table('tier_reviews')
    with op.batch_alter_table('staff_roles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_roles_staff_id'))

    op.drop_table('staff_roles')
    op.drop_table('import_runs')
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clients_tier'))
        batch_op.drop_index(batch_op.f('ix_clients_owner_id'))
        batch_op.drop_index(batch_op.f('ix_clients_name'))
        batch_op.drop_index(batch_op.f('ix_clients_mobile'))
        batch_op.drop_index(batch_op.f('ix_clients_branch'))

    op.drop_table('clients')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_at'))
        batch_op.drop_index(batch_op.f('ix_audit_log_actor_id'))
        batch_op.drop_index(batch_op.f('ix_audit_log_action'))

    op.drop_table('audit_log')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_staff_id'))

    op.drop_table('api_tokens')
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_branch'))

    op.drop_table('staff')
