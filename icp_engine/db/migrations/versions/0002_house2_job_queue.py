"""Job queue: procrastinate's schema (tables ``procrastinate_*``), and ``runs`` records its job.

The queue's tables, types and functions are procrastinate's own schema (``procrastinate/sql/
schema.sql`` of the installed package, version pinned in pyproject.toml), applied once here, in
the migration's transaction and under :meth:`icp_engine.db.Database.migrate`'s advisory lock, so
a fresh database and an existing one both end up with the queue. They are not declared in
:mod:`icp_engine.db.schema` (``schema.include_name`` keeps them out of autogenerate). Moving to a
procrastinate version with schema changes needs a new revision applying procrastinate's migration
files for that step (``procrastinate/sql/migrations/``).

``runs.heartbeat_at`` (the hand-written lease) goes; ``runs.job_id`` is the procrastinate job
executing the run.

Revision ID: 0002_house2
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002_house2"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from procrastinate.schema import SchemaManager

    bind = op.get_bind()
    if bind.execute(sa.text("SELECT to_regclass('procrastinate_jobs')")).scalar() is None:
        # many statements with $$ bodies and % signs: sent as one simple query, without parameters
        bind.connection.driver_connection.execute(SchemaManager.get_schema())
    op.drop_column("runs", "heartbeat_at")
    op.add_column("runs", sa.Column("job_id", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    op.drop_column("runs", "job_id")
    op.add_column("runs", sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
    # procrastinate's objects are left in place (harmless to revision 0001; drop them by hand if wanted)
