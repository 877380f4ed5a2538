"""subscription digests, quiet hours and rate limits; digest batches of deliveries

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 15:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('subscription', schema=None) as batch_op:
        batch_op.add_column(sa.Column('digest_schedule', sa.String(length=20), nullable=False, server_default='daily'))
        batch_op.add_column(sa.Column('digest_time', sa.String(length=5), nullable=False, server_default='08:00'))
        batch_op.add_column(sa.Column('timezone', sa.String(length=64), nullable=False, server_default='UTC'))
        batch_op.add_column(sa.Column('quiet_start', sa.String(length=5), nullable=True))
        batch_op.add_column(sa.Column('quiet_end', sa.String(length=5), nullable=True))
        batch_op.add_column(sa.Column('max_per_hour', sa.Integer(), nullable=True))
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.add_column(sa.Column('batch_id', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_delivery_batch_id'), ['batch_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delivery_batch_id'))
        batch_op.drop_column('batch_id')
    with op.batch_alter_table('subscription', schema=None) as batch_op:
        for name in ('max_per_hour', 'quiet_end', 'quiet_start', 'timezone', 'digest_time', 'digest_schedule'):
            batch_op.drop_column(name)
