"""Alembic environment: runs migrations on the connection handed over by icp_engine.storage."""

from alembic import context

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - we always pass a connection
    raise RuntimeError("run migrations through icp_engine.storage.Database.migrate()")

context.configure(connection=connection, target_metadata=None, transaction_per_migration=True)
with context.begin_transaction():
    context.run_migrations()
