"""canned answers scoped to a queue: research answers for researchers, account answers for business staff

Revision ID: 0015_canned_scope
Revises: 0014_staff_test_mobile
Create Date: 2026-12-02

Reviewed: canned_answers gains `queue`, NULL for an answer offered on every queue, else "research" or
"business": an item's reply box offers the answers of its queue and the unscoped ones. The eight answers
migration 0008 shipped are account matters (software, passwords, transfers, margin), so those still exactly as
shipped are scoped to the business queue; answers an admin wrote or edited stay unscoped until an admin scopes
them on the canned-answers page. The shipped rows are read from revision 0008's own file, not from the
application, so that this revision does the same whatever the code becomes. Downgrade drops the column (every
answer is then offered on every queue again).
"""
import importlib.util
from pathlib import Path

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0015_canned_scope'
down_revision = '0014_staff_test_mobile'
branch_labels = None
depends_on = None

canned_answers = sa.table(
    'canned_answers',
    sa.column('title', sa.String), sa.column('body', sa.Text), sa.column('queue', sa.String),
)


def _shipped() -> tuple[tuple[str, str], ...]:
    path = Path(__file__).with_name("0008_seed_canned_answers.py")
    spec = importlib.util.spec_from_file_location("migration_0008_shipped", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.SHIPPED


def seed(connection) -> None:
    """The shipped answers, where still as shipped and unscoped, to the business queue. Also used by the tests,
    which write the migrations' rows again after emptying every table."""
    for title, body in _shipped():
        connection.execute(canned_answers.update().where(
            canned_answers.c.title == title, canned_answers.c.body == body, canned_answers.c.queue.is_(None))
            .values(queue="business"))


def upgrade():
    with op.batch_alter_table('canned_answers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('queue', sa.String(length=10), nullable=True))
    seed(op.get_bind())


def downgrade():
    with op.batch_alter_table('canned_answers', schema=None) as batch_op:
        batch_op.drop_column('queue')
