"""SQL of qualification runs (table ``runs``) and their progress counts.

A run row holds the client, optional batch, ICP version, options (JSON), status
(:class:`~icp_engine.enums.RunStatus`), stage, stored counts, estimate/actual numbers, the process
executing it (``worker_id``) and its procrastinate job (``job_id``); the job queue's own tables
are read (never written: that is procrastinate's API, :mod:`icp_engine.jobs`) to tell which runs
have a live job. Every function takes an open ``Connection``.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection

from ..enums import LeadStatus, RunStatus
from ..errors import NotFound
from ._util import Row, as_dicts
from .leads import scope_condition
from .scores import SCORABLE
from .schema import batches, client_icps, lead_embeddings, lead_scores, leads, runs

R, L, S = runs.c, leads.c, lead_scores.c


def create_run(
    conn: Connection, client_id: int, batch_id: int | None, icp_version_id: int, options: dict[str, Any], author: str
) -> int:
    """Insert a ``queued`` run and return its id."""
    return int(conn.execute(
        runs.insert()
        .values(client_id=client_id, batch_id=batch_id, icp_version_id=icp_version_id, options=options,
                created_by=author)
        .returning(R.id)
    ).scalar_one())


def get_run(conn: Connection, run_id: int, *, for_update: bool = False) -> Row:
    """A run row; raises :class:`NotFound`. ``for_update`` locks it until the transaction ends."""
    q = sa.select(runs).where(R.id == run_id)
    row = conn.execute(q.with_for_update() if for_update else q).mappings().first()
    if row is None:
        raise NotFound(f"no run {run_id}")
    return dict(row)


def list_runs(conn: Connection, client_id: int | None = None, limit: int = 50) -> list[Row]:
    """Runs (full rows), newest first; of one client when ``client_id`` is given."""
    q = sa.select(runs).order_by(R.id.desc()).limit(limit)
    if client_id is not None:
        q = q.where(R.client_id == client_id)
    return as_dicts(conn.execute(q).mappings())


def update_run(conn: Connection, run_id: int, **values: Any) -> None:
    """Set columns of a run (``status``, ``stage``, ``counts``, ``error``, ``estimate``, ``actual``...)."""
    conn.execute(runs.update().where(R.id == run_id).values(**values))


def merge_actual(conn: Connection, run_id: int, values: dict[str, Any]) -> None:
    """Add keys to a run's ``actual`` JSON (``actual || values``), keeping the others (e.g. the
    provider's counters next to ``learning``)."""
    conn.execute(runs.update().where(R.id == run_id).values(
        actual=R.actual.op("||")(sa.cast(values, JSONB))))


def latest_actual(conn: Connection, client_id: int, key: str) -> tuple[int, Any] | None:
    """``(run id, actual[key])`` of the client's newest run that stored ``key`` in ``actual``, or None."""
    row = conn.execute(
        sa.select(R.id, R.actual[key]).where(R.client_id == client_id, R.actual.has_key(key))
        .order_by(R.id.desc()).limit(1)
    ).first()
    return (int(row[0]), row[1]) if row else None


def set_status(conn: Connection, run_id: int, status: RunStatus, allowed_from: tuple[RunStatus, ...]) -> bool:
    """Move a run to ``status`` if it is in one of ``allowed_from``; True if it changed.

    ``finished_at`` is set for ``cancelled`` and cleared otherwise.
    """
    res = conn.execute(
        runs.update()
        .where(R.id == run_id, R.status.in_(allowed_from))
        .values(status=status, finished_at=sa.func.now() if status == RunStatus.CANCELLED else None)
    )
    return bool(res.rowcount)


def mark_claimed(conn: Connection, run_id: int, worker_id: str, job_id: int | None) -> Row:
    """Record that ``worker_id`` executes the run in procrastinate job ``job_id``: status ``running``,
    ``started_at`` kept if set, error cleared; returns the updated row."""
    conn.execute(
        runs.update()
        .where(R.id == run_id)
        .values(status=RunStatus.RUNNING, worker_id=worker_id, job_id=job_id,
                started_at=sa.func.coalesce(R.started_at, sa.func.now()), error=None)
    )
    return get_run(conn, run_id)


def set_job(conn: Connection, run_id: int, job_id: int) -> None:
    """Remember the procrastinate job deferred for a run."""
    conn.execute(runs.update().where(R.id == run_id).values(job_id=job_id))


def status_and_worker(conn: Connection, run_id: int) -> tuple[str, str | None]:
    """``(status, worker_id)`` of a run, checked between chunks for pause/cancel/takeover."""
    row = conn.execute(sa.select(R.status, R.worker_id).where(R.id == run_id)).one()
    return row.status, row.worker_id


# ---------------------------------------------------------------- the job queue's tables (read only)
# procrastinate's own schema (migration 0002_house2), not declared in schema.py: the columns read here.
jobs_t = sa.table(
    "procrastinate_jobs", sa.column("id", sa.BigInteger), sa.column("status", sa.Text),
    sa.column("worker_id", sa.BigInteger), sa.column("queue_name", sa.Text), sa.column("attempts", sa.Integer),
)
workers_t = sa.table("procrastinate_workers", sa.column("id", sa.BigInteger),
                     sa.column("last_heartbeat", sa.DateTime(timezone=True)))
J, W = jobs_t.c, workers_t.c
#: procrastinate job statuses of a job that is waiting or executing
LIVE_JOB = ("todo", "doing")


def _job_status() -> Any:
    return sa.cast(J.status, sa.Text)  # an enum of procrastinate's: compared as text


def job_status(conn: Connection, run_id: int) -> tuple[str, str | None]:
    """``(run status, status of the run's procrastinate job or None)``."""
    row = conn.execute(
        sa.select(R.status, _job_status().label("job_status"))
        .select_from(runs.outerjoin(jobs_t, J.id == R.job_id)).where(R.id == run_id)
    ).one_or_none()
    if row is None:
        raise NotFound(f"no run {run_id}")
    return row.status, row.job_status


def without_live_job(conn: Connection) -> list[int]:
    """Ids of ``queued``/``running`` runs that no job will execute (none deferred, or its job
    ended: a process died between recording and queueing the run), oldest first."""
    return [int(i) for i in conn.execute(
        sa.select(R.id).select_from(runs.outerjoin(jobs_t, J.id == R.job_id))
        .where(R.status.in_(RunStatus.active()), sa.or_(J.id.is_(None), _job_status().not_in(LIVE_JOB)))
        .order_by(R.id)
    ).scalars()]


def executing(conn: Connection) -> list[Any]:
    """Runs whose job is ``doing``: ``(run_id, job_id, worker_id, heartbeat_age_s)`` where
    ``worker_id`` is the executing process (``host:pid:hex``) and ``heartbeat_age_s`` the age of
    its procrastinate worker's last heartbeat (None when that worker row is gone)."""
    age = sa.func.extract("epoch", sa.func.now() - W.last_heartbeat)
    return list(conn.execute(
        sa.select(R.id.label("run_id"), J.id.label("job_id"), R.worker_id, age.label("heartbeat_age_s"))
        .select_from(runs.join(jobs_t, J.id == R.job_id).outerjoin(workers_t, W.id == J.worker_id))
        .where(_job_status() == "doing")
    ).all())


def progress_counts(conn: Connection, run: Row) -> dict[str, int]:
    """Leads of a run's scope by state: ``{"total", "discovered", "enriched", "failed",
    "not_enriched", "no_url", "classified", "embedded", "scorable", "scored"}``.

    ``enriched`` = past enrichment and not failed; ``failed`` = enrichment gave up (the lead is
    still qualified, on the upload's data); ``not_enriched`` = leads qualified on the upload's data
    because the provider had nothing for them (``failed`` ones, leads missing from an Apify export,
    leads without a profile URL under live Apify: ``leads.enrichment_note`` set); ``no_url`` =
    leads without a profile URL; ``classified`` = with a company type; ``embedded`` = with a
    whole-profile vector of the run's embedding model, ``run["counts"]["embed_model"]``, 0 when
    unknown; ``scorable`` = in a status the score stage works on; ``scored`` = with a score of the
    run's ICP version that is newer than the lead's data."""
    scope = scope_condition(run["client_id"], run["batch_id"])
    # one pass over the scope (at 100k leads each separate count costs 50-100 ms); a lead has at
    # most one score per ICP version (primary key) and one vector per model
    sc = lead_scores.alias("s")
    # ``+ 0``: while the run writes a new version's scores, the statistics still say it has none;
    # the planner then scanned the version's index once per lead (seconds per count at 10k leads).
    # The primary key (lead_id first) is the lookup that fits a scope at any size.
    joined = leads.outerjoin(sc, sa.and_(sc.c.lead_id == L.id, (sc.c.icp_version_id + 0) == run["icp_version_id"]))
    model = (run.get("counts") or {}).get("embed_model")
    embedded: Any = sa.literal(0)
    if model:
        ev = lead_embeddings.alias("e")
        joined = joined.outerjoin(ev, sa.and_(ev.c.lead_id == L.id, ev.c.model == model))
        embedded = sa.func.count(ev.c.lead_id)
    fresh = sa.and_(sc.c.lead_id.is_not(None), sa.or_(L.enriched_at.is_(None), sc.c.scored_at >= L.enriched_at))
    row = conn.execute(sa.select(
        sa.func.count(),
        sa.func.count().filter(L.status == LeadStatus.DISCOVERED),
        sa.func.count().filter(L.status == LeadStatus.FAILED),
        sa.func.count().filter(L.company_type.is_not(None)),
        sa.func.count().filter(L.enrichment_note.is_not(None)),
        sa.func.count().filter(L.profile_url == ""),
        embedded,
        sa.func.count().filter(L.status.in_(SCORABLE)),
        sa.func.count().filter(fresh),
    ).select_from(joined).where(scope)).one()
    total, discovered, failed, classified, not_enriched, no_url, n_embedded, scorable, scored = (int(x) for x in row)
    return {
        "total": total, "discovered": discovered, "enriched": total - discovered - failed, "failed": failed,
        "not_enriched": not_enriched, "no_url": no_url, "classified": classified,
        "embedded": n_embedded, "scorable": scorable, "scored": scored,
    }


def scored_by_runs(conn: Connection, run_ids: list[int]) -> dict[int, int]:
    """``{run_id: leads whose current score of its ICP version this run wrote}`` (a run that had
    nothing to do scored 0, whatever the size of its scope)."""
    if not run_ids:
        return {}
    rows = conn.execute(
        sa.select(S.run_id, sa.func.count()).where(S.run_id.in_([int(i) for i in run_ids])).group_by(S.run_id)
    ).all()
    return {int(r): int(n) for r, n in rows}


def unfinished_runs(conn: Connection, client_id: int, batch_id: int | None) -> list[Row]:
    """Queued, running or paused runs of exactly this scope (the batch, or all leads of the client
    when ``batch_id`` is None), newest first."""
    scope = R.batch_id.is_(None) if batch_id is None else R.batch_id == batch_id
    return as_dicts(conn.execute(
        sa.select(runs).where(R.client_id == client_id, scope, R.status.in_(RunStatus.unfinished()))
        .order_by(R.id.desc())
    ).mappings())


def run_rows(conn: Connection, client_id: int, limit: int = 20) -> list[Row]:
    """A client's runs for the runs table, newest first: the ``runs`` columns plus ``batch_name``
    (None for a run of all leads of the client), ``icp_version`` (its number) and
    ``scored_by_run`` (leads whose current score of that version the run wrote)."""
    B, I = batches.c, client_icps.c
    scored = sa.select(sa.func.count()).where(S.run_id == R.id).scalar_subquery()
    return as_dicts(conn.execute(
        sa.select(runs, B.name.label("batch_name"), I.version.label("icp_version"), scored.label("scored_by_run"))
        .select_from(runs.outerjoin(batches, B.id == R.batch_id).join(client_icps, I.id == R.icp_version_id))
        .where(R.client_id == client_id)
        .order_by(R.id.desc())
        .limit(max(1, int(limit)))
    ).mappings())
