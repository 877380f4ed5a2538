"""full text: a per-feed threshold under which the article page is fetched, and page outcomes on feed_state

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 22:40:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('feed', schema=None) as batch_op:
        batch_op.add_column(sa.Column('full_text_below_chars', sa.Integer(), nullable=True))
    with op.batch_alter_table('feed_state', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pages_fetched', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('pages_failed', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('last_page_error', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('feed_state', schema=None) as batch_op:
        batch_op.drop_column('last_page_error')
        batch_op.drop_column('pages_failed')
        batch_op.drop_column('pages_fetched')
    with op.batch_alter_table('feed', schema=None) as batch_op:
        batch_op.drop_column('full_text_below_chars')
