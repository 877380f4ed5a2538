"""service_heartbeat: one row per replica, keyed by (service, instance), with its state and assigned partitions

Rows written before this revision keep their service and instance; they are marked stopped (they belong to the
processes of the version before the upgrade), and a live replica of their service forgets them after
HEARTBEAT_FORGET_SECONDS. On SQLite the table is rebuilt (its primary key cannot be altered); on PostgreSQL the
primary key is replaced in place.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 13:10:00
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

PKEY = 'service_heartbeat_pkey'  # PostgreSQL's name for the primary key of 0001


def _heartbeat_table(primary_key: list[str]) -> sa.Table:
    """The table of 0001 plus state and partitions, with the given primary key: what SQLite rebuilds it as."""
    return sa.Table(
        'service_heartbeat', sa.MetaData(),
        sa.Column('service', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column('instance', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('version', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_activity_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_activity', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=20), server_default='running', nullable=False),
        sa.Column('partitions', sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint(*primary_key),
    )


def _replace_primary_key(columns: list[str]) -> None:
    if op.get_bind().dialect.name == 'sqlite':  # rebuilt from the definition with the new key, rows copied
        with op.batch_alter_table('service_heartbeat', copy_from=_heartbeat_table(columns), recreate='always'):
            pass
    else:
        op.drop_constraint(PKEY, 'service_heartbeat', type_='primary')
        op.create_primary_key(PKEY, 'service_heartbeat', columns)


def upgrade() -> None:
    with op.batch_alter_table('service_heartbeat', schema=None) as batch_op:
        batch_op.add_column(sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=20), server_default='running', nullable=False))
        batch_op.add_column(sa.Column('partitions', sa.JSON(), nullable=True))
    op.execute("UPDATE service_heartbeat SET state = 'stopped'")
    _replace_primary_key(['service', 'instance'])


def downgrade() -> None:
    # One row per service again: the replica seen last is kept.
    op.execute(
        "DELETE FROM service_heartbeat WHERE EXISTS (SELECT 1 FROM service_heartbeat AS newer WHERE newer.service = service_heartbeat.service"
        " AND (newer.last_seen_at > service_heartbeat.last_seen_at OR (newer.last_seen_at = service_heartbeat.last_seen_at AND newer.instance > service_heartbeat.instance)))"
    )
    _replace_primary_key(['service'])
    with op.batch_alter_table('service_heartbeat', schema=None) as batch_op:
        batch_op.drop_column('partitions')
        batch_op.drop_column('state')
