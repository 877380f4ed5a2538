"""feedback: analysts' votes on alerts (relevant / not relevant), one per delivery and user

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 22:55:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'feedback_vote',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('delivery_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('vote', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('via', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('nonce', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['delivery_id'], ['delivery.id']),
        sa.ForeignKeyConstraint(['user_id'], ['user.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('delivery_id', 'user_id', name='uq_feedback_delivery_user'),
        sa.UniqueConstraint('nonce'),
    )
    with op.batch_alter_table('feedback_vote', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feedback_vote_delivery_id'), ['delivery_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_feedback_vote_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_table('feedback_vote')
