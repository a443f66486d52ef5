"""Everything that talks SQL: the schema, migrations, the connection, and one query module per aggregate.

* :mod:`.schema`           declared tables (SQLAlchemy Core), the target of Alembic autogenerate
* ``migrations/``          the Alembic history, applied on start by :meth:`Database.migrate`
* :mod:`.database`         :class:`Database` (engine, migrations, transactions)
* :mod:`.embedded`         the embedded Postgres used without ``DATABASE_URL``
* :mod:`.clients`          clients and ICP versions
* :mod:`.leads`            leads and batches (uploads, the lead state machine of a run)
* :mod:`.scores`           scores and whole-profile vectors
* :mod:`.runs`             qualification runs and their progress counts
* :mod:`.review`           review labels (keep / trash / skip, undo)
* :mod:`.reports`          the read side: lead tables, CSV rows, summaries, histograms
* :mod:`.profile_cache`    scraped profiles shared by all clients
* :mod:`.embedding_cache`  text vectors per model
* :mod:`.apify_ledger`     every Apify actor run started (never pay twice)
* :mod:`.judgements`       the LLM judge's verdicts per ICP version, profile hash and model
* :mod:`.vectors`          binary COPY of vector columns, binary vector reads

Query functions take an open SQLAlchemy ``Connection`` so callers compose them in one
transaction; no SQL of the product lives outside this package.
"""

from .database import Database, alembic_config
from .embedded import normalise_url, start_embedded_postgres, stop_embedded_postgres
from .schema import metadata

__all__ = [
    "Database", "alembic_config", "metadata", "normalise_url", "start_embedded_postgres", "stop_embedded_postgres",
]
