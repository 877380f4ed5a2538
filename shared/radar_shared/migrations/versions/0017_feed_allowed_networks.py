"""feeds: their own allow-list entries (ADDRESS:PORTS) for redirects and article pages (decision 020)

Revision ID: 0017
Revises: 0015
Create Date: 2026-12-07 13:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('feed', schema=None) as batch_op:
        batch_op.add_column(sa.Column('allowed_networks', sa.JSON(), server_default='[]', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('feed', schema=None) as batch_op:
        batch_op.drop_column('allowed_networks')
