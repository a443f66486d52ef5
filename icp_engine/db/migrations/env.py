"""Alembic environment of the product's schema (``icp_engine/db/migrations``).

``target_metadata`` is :data:`icp_engine.db.schema.metadata`, so autogenerate compares a live
database with the declared tables. Two ways in:

* :meth:`icp_engine.db.Database.migrate` (every start) hands over its connection, which holds the
  migration advisory lock, in ``config.attributes["connection"]``;
* the ``alembic`` command line (``alembic upgrade head``, ``alembic revision --autogenerate -m
  "..."`` from the repository root, see ``alembic.ini``) connects to the database of the
  settings: ``DATABASE_URL``, or the embedded server under ``ICP_DATA_DIR``.
"""

from alembic import context

from icp_engine.db.schema import include_name, metadata

OPTIONS = dict(target_metadata=metadata, transaction_per_migration=True, compare_type=True,
               compare_server_default=True, include_name=include_name)


def _run(connection) -> None:
    context.configure(connection=connection, **OPTIONS)
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:  # the alembic command line
    from icp_engine.config import Settings
    from icp_engine.db.database import Database

    db = Database(Settings(), migrate=False)
    try:
        with db.engine.connect() as conn:
            _run(conn)
            conn.commit()
    finally:
        db.dispose()
