"""resilience: the notifier's alert_outbox; capped, failed and encoding facts of feeds and entries

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 10:00:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'alert_outbox',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('delivery_id', sa.Integer(), nullable=False),
        sa.Column('payload', sa.JSON(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('claimed_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('failed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('publish_error', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('alert_outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_outbox_delivery_id'), ['delivery_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_alert_outbox_published_at'), ['published_at'], unique=False)
    with op.batch_alter_table('feed_state', schema=None) as batch_op:
        batch_op.add_column(sa.Column('encoding', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('entries_truncated', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('entries_failed', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('last_entry_error', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True))
    with op.batch_alter_table('seen_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('publish_error', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('seen_entry', schema=None) as batch_op:
        batch_op.drop_column('publish_error')
        batch_op.drop_column('failed_at')
    with op.batch_alter_table('feed_state', schema=None) as batch_op:
        batch_op.drop_column('last_entry_error')
        batch_op.drop_column('entries_failed')
        batch_op.drop_column('entries_truncated')
        batch_op.drop_column('encoding')
    with op.batch_alter_table('alert_outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_outbox_published_at'))
        batch_op.drop_index(batch_op.f('ix_alert_outbox_delivery_id'))
    op.drop_table('alert_outbox')
