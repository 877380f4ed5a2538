"""delivery.rate_slot_at: the rate limit's slots in the database, so that notifier replicas share one limit

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 22:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rate_slot_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_delivery_subscription_rate_slot', ['subscription_id', 'rate_slot_at'], unique=False)
    # Alerts already sent hold their slot from the time they went out.
    op.execute("UPDATE delivery SET rate_slot_at = sent_at WHERE status = 'sent'")


def downgrade() -> None:
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_index('ix_delivery_subscription_rate_slot')
        batch_op.drop_column('rate_slot_at')
