"""feedback links used once ever (feedback_link_use); rate-limit counters shared by every API process (rate_limit_window)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 07:40:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'feedback_link_use',
        sa.Column('nonce', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('delivery_id', sa.Integer(), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['delivery_id'], ['delivery.id']),
        sa.PrimaryKeyConstraint('nonce'),
    )
    with op.batch_alter_table('feedback_link_use', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feedback_link_use_delivery_id'), ['delivery_id'], unique=False)
    # the links already used: the nonce of each vote that came through one
    op.execute("INSERT INTO feedback_link_use (nonce, delivery_id, used_at) SELECT nonce, delivery_id, created_at FROM feedback_vote WHERE nonce IS NOT NULL")
    op.create_table(
        'rate_limit_window',
        sa.Column('bucket', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('minute', sa.BigInteger(), nullable=False),
        sa.Column('hits', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('bucket', 'minute'),
    )


def downgrade() -> None:
    op.drop_table('rate_limit_window')
    op.drop_table('feedback_link_use')
