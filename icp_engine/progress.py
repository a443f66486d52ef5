"""Progress of a run per stage, with the current stage's rate and ETA (pure functions, no I/O).

A run's progress is read from the leads' state (:func:`icp_engine.db.runs.progress_counts`), so
it is the same for every page and process. Each stage has its own ``done / total``:

* ``enrich``: leads past enrichment of all leads in the scope; with re-enrichment (a provider
  with profile data offered leads that had upload data only, :mod:`icp_engine.pipeline`) also
  the leads offered so far of those to offer;
* ``classify``: leads with a company type, of the leads past enrichment;
* ``embed``: leads with a whole-profile vector of the run's embedding model, of the same;
* ``score``: leads with an up-to-date score of the run's ICP version, of the scorable leads.

Rate and ETA are those of the **current stage**, measured from when this stage started
(``counts["stage_started_at"]``, with ``counts["stage_base"]`` leads already done then; both
written by the run's executor when it enters a stage), so a stage shows a rate within its first
seconds instead of "–" until the end, and an embed stage of 20,000 leads shows its own pace.
"""

from __future__ import annotations

from datetime import datetime, UTC
from typing import Any

from .enums import RunStage

#: The stages in the order a run executes them, with their names on screen.
STAGE_LABELS: dict[str, str] = {
    RunStage.ENRICH: "Enrich", RunStage.CLASSIFY: "Classify", RunStage.EMBED: "Embed", RunStage.SCORE: "Score",
}


def _offered(changes: dict[str, Any] | None) -> tuple[int, int]:
    """``(offered so far, to offer)`` of a re-enrichment (0, 0 without one)."""
    c = changes or {}
    offered = int(c.get("reenriched") or 0) + int(c.get("no_better_data") or 0)
    return offered, max(offered, int(c.get("to_offer") or 0))


def stage_done_total(stage: str, counts: dict[str, Any], changes: dict[str, Any] | None = None) -> tuple[int, int]:
    """``(done, total)`` leads of one stage (see the module docstring); ``(0, 0)`` for other stages."""
    total = int(counts.get("total") or 0)
    past = total - int(counts.get("discovered") or 0)
    if stage == RunStage.ENRICH:
        offered, to_offer = _offered(changes)
        return past + offered, total + to_offer
    if stage == RunStage.CLASSIFY:
        return min(past, int(counts.get("classified") or 0)), past
    if stage == RunStage.EMBED:
        return min(past, int(counts.get("embedded") or 0)), past
    if stage == RunStage.SCORE:
        scorable = int(counts.get("scorable", past) or 0)
        return min(scorable, int(counts.get("scored") or 0)), scorable
    return 0, 0


def stages(counts: dict[str, Any], changes: dict[str, Any] | None = None, *, classify: bool = True,
           embed: bool = True) -> list[dict[str, Any]]:
    """One row per stage the run executes: ``[{"stage", "label", "done", "total", "again_done",
    "again_total"}]`` (``again_*``: the re-enrichment part of ``enrich``, 0 without one).
    ``classify`` / ``embed``: whether the run has those stages."""
    out = []
    for stage, label in STAGE_LABELS.items():
        if (stage == RunStage.CLASSIFY and not classify) or (stage == RunStage.EMBED and not embed):
            continue
        done, total = stage_done_total(stage, counts, changes)
        again_done, again_total = _offered(changes) if stage == RunStage.ENRICH else (0, 0)
        out.append({"stage": str(stage), "label": label, "done": done, "total": total,
                    "again_done": again_done, "again_total": again_total})
    return out


def stage_rate_eta(stage: str, counts: dict[str, Any], changes: dict[str, Any] | None = None, *,
                   now: datetime | None = None, running: bool = True) -> tuple[float | None, float | None]:
    """``(leads per second, seconds left)`` of the current stage since it started, or None for
    each when not known yet (no lead done in this stage, or no start mark). ETA is None when the
    run is not ``running``."""
    started = counts.get("stage_started_at")
    if counts.get("stage") != stage or not started or stage not in STAGE_LABELS:
        return None, None
    try:
        t0 = datetime.fromisoformat(str(started))
    except ValueError:
        return None, None
    elapsed = ((now or datetime.now(UTC)) - t0).total_seconds()
    done, total = stage_done_total(stage, counts, changes)
    moved = done - int(counts.get("stage_base") or 0)
    if elapsed <= 0 or moved <= 0:
        return None, None
    rate = moved / elapsed
    return rate, (max(0, total - done) / rate if running else None)


def stage_mark(stage: str, counts: dict[str, Any], changes: dict[str, Any] | None = None,
               *, now: datetime | None = None) -> dict[str, Any]:
    """What the executor stores in ``runs.counts`` when the run enters ``stage``: ``{"stage",
    "stage_started_at" (ISO 8601, UTC), "stage_base" (leads of the stage already done)}``."""
    done, _ = stage_done_total(stage, counts, changes)
    return {"stage": str(stage), "stage_started_at": (now or datetime.now(UTC)).isoformat(), "stage_base": done}
