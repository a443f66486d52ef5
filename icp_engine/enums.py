"""The product's fixed vocabularies as ``str`` enums (a member compares equal to its value).

Stored in Postgres as their values (text columns, CHECK constraints built from these enums in
:mod:`icp_engine.db.schema`), written in JSON as their values, accepted from the CLI and the
dashboard as their values: ``LeadStatus("failed") is LeadStatus.FAILED``. Use the members in code
instead of bare strings.
"""

from __future__ import annotations

from enum import StrEnum


class LeadStatus(StrEnum):
    """Where a lead is in qualification (``leads.status``).

    ``discovered`` (from an upload) -> ``enriched`` (profile known) -> ``qualified`` (scored)
    -> ``exported`` (in a downloaded CSV); ``failed`` when enrichment gave up, with a reason
    (``leads.error_message``, ``leads.enrichment_note``): such a lead is still classified, scored on
    the upload's data and exported (the CSV says "not enriched"); it stays ``failed`` so the Run
    page can retry its enrichment.
    """

    DISCOVERED = "discovered"
    ENRICHED = "enriched"
    QUALIFIED = "qualified"
    EXPORTED = "exported"
    FAILED = "failed"


class RunStatus(StrEnum):
    """State of a qualification run (``runs.status``)."""

    QUEUED = "queued"
    RUNNING = "running"
    PAUSED = "paused"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @classmethod
    def active(cls) -> tuple[RunStatus, ...]:
        """Statuses of a run that is waiting for or being worked on by a worker."""
        return (cls.QUEUED, cls.RUNNING)

    @classmethod
    def unfinished(cls) -> tuple[RunStatus, ...]:
        """Statuses of a run that may still do work (active or paused)."""
        return (cls.QUEUED, cls.RUNNING, cls.PAUSED)


class RunStage(StrEnum):
    """The stage a run reports (``runs.stage``): ``queued``, the four stages, ``learn`` (refit on the
    client's reviews and apply when proven), then ``done``."""

    QUEUED = "queued"
    ENRICH = "enrich"
    CLASSIFY = "classify"
    EMBED = "embed"
    SCORE = "score"
    LEARN = "learn"
    DONE = "done"


class EnrichProvider(StrEnum):
    """Where enrichment data comes from (``RunOptions.enrich``, CLI ``--enrich``).

    ``page``: what the upload itself holds (offline); ``apify-json``: a dataset the user
    exported from Apify; ``apify``: live actor runs (needs ``APIFY_API_TOKEN``).
    """

    PAGE = "page"
    APIFY_JSON = "apify-json"
    APIFY = "apify"


class RerankerName(StrEnum):
    """Second-stage rerankers (``RunOptions.reranker``, CLI ``--reranker``)."""

    NONE = "none"
    LOCAL = "local"
    JINA = "jina"
    COHERE = "cohere"


class Bucket(StrEnum):
    """Score bands of ``icp_score``: strong 80+, good 60-79, possible 40-59, poor below 40."""

    STRONG = "strong"
    GOOD = "good"
    POSSIBLE = "possible"
    POOR = "poor"


class FeedbackLabel(StrEnum):
    """A reviewer's verdict on a lead (``lead_feedback.label``)."""

    KEEP = "keep"
    TRASH = "trash"
    SKIP = "skip"


class ReviewQueue(StrEnum):
    """Where a review label came from (``lead_feedback.queue``).

    ``random``: the Review page's default order (seeded random, independent of the score: the
    labels are an unbiased sample and measure the learned model); ``informative``: the optional
    "most informative next" order (active learning: these labels train the model but never measure
    it); ``import``: ``feedback import`` from a CSV (assumed unbiased, like ``random``).
    """

    RANDOM = "random"
    INFORMATIVE = "informative"
    IMPORT = "import"


class Role(StrEnum):
    """What a dashboard account may do (``users.role``; permissions in :mod:`icp_engine.auth`).

    ``admin``: users, clients, ICPs, uploads, runs, deletion and settings, plus everything a
    reviewer does; ``reviewer``: review labels and exports.
    """

    ADMIN = "admin"
    REVIEWER = "reviewer"


class CallStatus(StrEnum):
    """State of a discovery call stored for a client (``fathom_calls.status``).

    ``processed``: read, its findings count in the client's proposal; ``failed``: the transcript is
    kept but reading it failed (``error`` says why; can be read again); ``ignored``: left out of the
    proposal by the user (reversible).
    """

    PROCESSED = "processed"
    FAILED = "failed"
    IGNORED = "ignored"


def values(enum: type[StrEnum]) -> tuple[str, ...]:
    """The members' values in declaration order, e.g. ``values(Bucket) == ("strong", ...)``."""
    return tuple(m.value for m in enum)
