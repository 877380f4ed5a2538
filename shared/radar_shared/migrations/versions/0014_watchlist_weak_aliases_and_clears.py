"""watchlists: weak aliases, MMSI, vessel type and an entry fingerprint; analysts' clears of entries and aliases

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-07 06:30:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0014'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('watchlist_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('weak_aliases', sa.JSON(), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('mmsi', sqlmodel.sql.sqltypes.AutoString(length=9), nullable=True))
        batch_op.add_column(sa.Column('vessel_type', sqlmodel.sql.sqltypes.AutoString(length=100), server_default='', nullable=False))
        batch_op.add_column(sa.Column('fingerprint', sqlmodel.sql.sqltypes.AutoString(length=32), server_default='', nullable=False))
    op.create_table(
        'watchlist_clear',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('list_name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('entity_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('alias', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column('fingerprint', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('user_id', 'list_name', 'entity_id', 'alias', name='uq_watchlist_clear_user_entry_alias'),
    )
    with op.batch_alter_table('watchlist_clear', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_watchlist_clear_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_table('watchlist_clear')
    with op.batch_alter_table('watchlist_entry', schema=None) as batch_op:
        batch_op.drop_column('fingerprint')
        batch_op.drop_column('vessel_type')
        batch_op.drop_column('mmsi')
        batch_op.drop_column('weak_aliases')
