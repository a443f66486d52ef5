"""The database side of the job queue (:mod:`icp_engine.jobs`, procrastinate): connections only.

procrastinate runs its own SQL (its schema is applied by migration ``0002_house2``); this module
hands it connections: the product's SQLAlchemy pool for control operations (:class:`EnginePool`),
the raw psycopg connection of an open transaction (:func:`driver_connection`, so a job is queued
atomically with the run's row), and the libpq URL a worker's own pool connects to.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import psycopg
import sqlalchemy as sa

#: Database errors a job is retried on (a dropped connection, a server restart).
TRANSIENT_DB_ERRORS: tuple[type[Exception], ...] = (sa.exc.OperationalError, sa.exc.InterfaceError,
                                                    psycopg.OperationalError)


class EnginePool:
    """The one method procrastinate's ``SyncPsycopgConnector`` needs of a pool (``connection()``),
    served by the product's SQLAlchemy pool: control operations open no connections of their own."""

    def __init__(self, engine: sa.Engine):
        self.engine = engine

    @contextlib.contextmanager
    def connection(self) -> Iterator[psycopg.Connection]:
        fairy = self.engine.raw_connection()
        try:
            conn = fairy.driver_connection
            assert isinstance(conn, psycopg.Connection)
            try:
                yield conn
                conn.commit()
            except BaseException:
                conn.rollback()
                raise
        finally:
            fairy.close()


def driver_connection(conn: sa.Connection) -> Any:
    """The psycopg connection under an open SQLAlchemy connection (same transaction)."""
    return conn.connection.driver_connection


def libpq_url(url: str) -> str:
    """A SQLAlchemy URL (``postgresql+psycopg://...``) as a libpq connection string for psycopg."""
    return sa.engine.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
