"""The database schema, declared: every table of the product as SQLAlchemy Core ``Table`` s.

This module is the source of truth for columns in Python code (queries import the tables from
here; nothing is reflected at run time) and the ``target_metadata`` of the Alembic environment
(:mod:`icp_engine.db.migrations`), so ``alembic revision --autogenerate`` diffs a live database
against it. A change here needs a migration in ``icp_engine/db/migrations/versions``; the test
``tests/test_db_schema.py`` fails when the migrated database and this module disagree.

Constraint and index names are those Postgres gave the objects of revision 0001 (``<table>_<col>_key``,
``<table>_<col>_fkey``, ``<table>_<col>_check``), so existing databases match without a rename.
Status columns carry CHECK constraints built from :mod:`icp_engine.enums`.
"""

from __future__ import annotations

import sqlalchemy as sa
from pgvector.sqlalchemy import Vector
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from ..enums import CallStatus, FeedbackLabel, LeadStatus, ReviewQueue, Role, RunStatus, values

metadata = sa.MetaData()

_NOW = sa.text("now()")
_EMPTY_ARRAY = sa.text("'{}'::text[]")
_EMPTY_BIGINT_ARRAY = sa.text("'{}'::bigint[]")
_EMPTY_JSON = sa.text("'{}'::jsonb")
_EMPTY_JSON_LIST = sa.text("'[]'::jsonb")


def _in(column: str, allowed: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in allowed) + ")"


def _ts(name: str, *, now: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=not now, server_default=_NOW if now else None)


#: One client of the agency (a LinkedIn creator whose followers are qualified).
clients = sa.Table(
    "clients",
    metadata,
    sa.Column("id", sa.BigInteger, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("notes", sa.Text, nullable=False, server_default=sa.text("''")),
    _ts("created_at", now=True),
    # the client's e-mail domains (lower case, no "@"): tell its people from the agency's on calls
    # and find its Fathom meetings by invitee domain (revision 0005_calls)
    sa.Column("email_domains", ARRAY(sa.Text), nullable=False, server_default=_EMPTY_ARRAY),
    sa.UniqueConstraint("name", name="clients_name_key"),
)

#: Every saved ICP is a new version; qualifications record the version they used.
client_icps = sa.Table(
    "client_icps",
    metadata,
    sa.Column("id", sa.BigInteger, primary_key=True),
    sa.Column("client_id", sa.BigInteger, sa.ForeignKey("clients.id", ondelete="CASCADE",
                                                        name="client_icps_client_id_fkey"), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("icp", JSONB, nullable=False),
    sa.Column("created_by", sa.Text, nullable=False, server_default=sa.text("'system'")),
    sa.Column("change_note", sa.Text, nullable=False, server_default=sa.text("''")),
    _ts("created_at", now=True),
    sa.UniqueConstraint("client_id", "version", name="client_icps_client_id_version_key"),
)

#: One upload (a saved page, Connections.csv, URL list, or several merged).
batches = sa.Table(
    "batches",
    metadata,
    sa.Column("id", sa.BigInteger, primary_key=True),
    sa.Column("client_id", sa.BigInteger, sa.ForeignKey("clients.id", ondelete="CASCADE",
                                                        name="batches_client_id_fkey"), nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("source_filename", sa.Text, nullable=False, server_default=sa.text("''")),
    sa.Column("source_kind", sa.Text, nullable=False, server_default=sa.text("''")),
    sa.Column("file_sha256", sa.Text),
    sa.Column("people_in_file", sa.Integer, nullable=False, server_default=sa.text("0")),
    sa.Column("new_leads", sa.Integer, nullable=False, server_default=sa.text("0")),
    sa.Column("known_leads", sa.Integer, nullable=False, server_default=sa.text("0")),
    sa.Column("created_by", sa.Text, nullable=False, server_default=sa.text("'system'")),
    _ts("created_at", now=True),
)

#: A person as a lead of one client (unique per client and profile key, not globally).
leads = sa.Table(
    "leads",
    metadata,
    sa.Column("id", sa.BigInteger, primary_key=True),
    sa.Column("client_id", sa.BigInteger, sa.ForeignKey("clients.id", ondelete="CASCADE",
                                                        name="leads_client_id_fkey"), nullable=False),
    sa.Column("batch_id", sa.BigInteger, sa.ForeignKey("batches.id", ondelete="CASCADE",
                                                       name="leads_batch_id_fkey"), nullable=False),
    sa.Column("profile_key", sa.Text, nullable=False),
    sa.Column("profile_id", sa.Text),
    sa.Column("vanity", sa.Text),
    sa.Column("profile_url", sa.Text, nullable=False),
    sa.Column("input_url", sa.Text, nullable=False),
    sa.Column("name", sa.Text),
    sa.Column("headline", sa.Text),
    sa.Column("location", sa.Text),
    sa.Column("degree", sa.Text),
    sa.Column("status", sa.Text, nullable=False, server_default=sa.text(f"'{LeadStatus.DISCOVERED.value}'")),
    sa.Column("error_message", sa.Text),
    sa.Column("retry_count", sa.Integer, nullable=False, server_default=sa.text("0")),
    # enrichment (Profile fields)
    sa.Column("titles", ARRAY(sa.Text), nullable=False, server_default=_EMPTY_ARRAY),
    sa.Column("company", sa.Text),
    sa.Column("company_size", sa.Text),
    sa.Column("industry", sa.Text),
    sa.Column("summary", sa.Text),
    sa.Column("past_roles", ARRAY(sa.Text), nullable=False, server_default=_EMPTY_ARRAY),
    sa.Column("skills", ARRAY(sa.Text), nullable=False, server_default=_EMPTY_ARRAY),
    sa.Column("enrichment_source", sa.Text),
    _ts("enriched_at"),
    # why the enrichment provider had no data for this lead (the lead is then qualified on the
    # upload's own data): "enrichment: not returned by Apify ...", shown in the CSV's reasoning
    sa.Column("enrichment_note", sa.Text),
    # name + company key (domain.name_company_key) for linking leads with and without a URL
    sa.Column("name_key", sa.Text),
    # classification
    sa.Column("industry_class", sa.Text),
    sa.Column("company_type", sa.Text),
    sa.Column("classification_reason", sa.Text),
    sa.Column("classification_source", sa.Text),
    sa.Column("industry_guess", sa.Text),
    sa.Column("industry_source", sa.Text),
    sa.Column("company_type_source", sa.Text),
    sa.Column("company_type_is_guess", sa.Boolean, nullable=False, server_default=sa.false()),
    _ts("exported_at"),
    _ts("created_at", now=True),
    _ts("updated_at", now=True),
    sa.UniqueConstraint("client_id", "profile_key", name="leads_client_id_profile_key_key"),
    sa.CheckConstraint(_in("status", values(LeadStatus)), name="leads_status_check"),
)
sa.Index("leads_client_profile_id", leads.c.client_id, leads.c.profile_id,
         postgresql_where=leads.c.profile_id.is_not(None))
sa.Index("leads_client_vanity", leads.c.client_id, leads.c.vanity, postgresql_where=leads.c.vanity.is_not(None))
sa.Index("leads_client_name_key", leads.c.client_id, leads.c.name_key,
         postgresql_where=leads.c.name_key.is_not(None))
sa.Index("leads_batch_status", leads.c.batch_id, leads.c.status)
sa.Index("leads_client_status", leads.c.client_id, leads.c.status)

#: Every lead seen in an upload, new or already known: the scope of "run this batch".
batch_members = sa.Table(
    "batch_members",
    metadata,
    sa.Column("batch_id", sa.BigInteger, sa.ForeignKey("batches.id", ondelete="CASCADE",
                                                       name="batch_members_batch_id_fkey"), primary_key=True),
    sa.Column("lead_id", sa.BigInteger, sa.ForeignKey("leads.id", ondelete="CASCADE",
                                                      name="batch_members_lead_id_fkey"), primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("is_new", sa.Boolean, nullable=False),
)
sa.Index("batch_members_lead", batch_members.c.lead_id)

#: Scraped profiles shared by all clients; fresh for ``Settings.profile_cache_ttl_days`` (30).
profile_cache = sa.Table(
    "profile_cache",
    metadata,
    sa.Column("profile_key", sa.Text, primary_key=True),
    sa.Column("profile_id", sa.Text),
    sa.Column("vanity", sa.Text),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("item", JSONB, nullable=False),
    _ts("fetched_at", now=True),
)
sa.Index("profile_cache_profile_id", profile_cache.c.profile_id,
         postgresql_where=profile_cache.c.profile_id.is_not(None))
sa.Index("profile_cache_vanity", profile_cache.c.vanity, postgresql_where=profile_cache.c.vanity.is_not(None))

#: Embedding cache: one vector per (model, text); the model name is stored with each vector.
text_embeddings = sa.Table(
    "text_embeddings",
    metadata,
    sa.Column("model", sa.Text, primary_key=True),
    sa.Column("text_sha1", sa.Text, primary_key=True),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("dim", sa.Integer, nullable=False),
    sa.Column("embedding", Vector(), nullable=False),
    _ts("created_at", now=True),
)

#: Whole-profile vectors, for nearest-neighbour queries in pgvector (similar leads).
lead_embeddings = sa.Table(
    "lead_embeddings",
    metadata,
    sa.Column("lead_id", sa.BigInteger, sa.ForeignKey("leads.id", ondelete="CASCADE",
                                                      name="lead_embeddings_lead_id_fkey"), primary_key=True),
    sa.Column("model", sa.Text, primary_key=True),
    sa.Column("embedding", Vector(), nullable=False),
    _ts("created_at", now=True),
)

#: Qualification runs: one row per run (the product's record); progress is read from here by every page and
#: worker. Execution is a procrastinate job (``job_id``, tables ``procrastinate_*``, see :mod:`icp_engine.jobs`).
runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.BigInteger, primary_key=True),
    sa.Column("client_id", sa.BigInteger, sa.ForeignKey("clients.id", ondelete="CASCADE",
                                                        name="runs_client_id_fkey"), nullable=False),
    sa.Column("batch_id", sa.BigInteger, sa.ForeignKey("batches.id", ondelete="CASCADE",
                                                       name="runs_batch_id_fkey")),
    sa.Column("icp_version_id", sa.BigInteger, sa.ForeignKey("client_icps.id", name="runs_icp_version_id_fkey"),
              nullable=False),
    sa.Column("status", sa.Text, nullable=False, server_default=sa.text(f"'{RunStatus.QUEUED.value}'")),
    sa.Column("stage", sa.Text, nullable=False, server_default=sa.text("'queued'")),
    sa.Column("options", JSONB, nullable=False, server_default=_EMPTY_JSON),
    sa.Column("counts", JSONB, nullable=False, server_default=_EMPTY_JSON),
    sa.Column("estimate", JSONB, nullable=False, server_default=_EMPTY_JSON),
    sa.Column("actual", JSONB, nullable=False, server_default=_EMPTY_JSON),
    sa.Column("error", sa.Text),
    # the process executing the run (``host:pid:hex``) and the procrastinate job it executes it in
    sa.Column("worker_id", sa.Text),
    sa.Column("job_id", sa.BigInteger),
    sa.Column("created_by", sa.Text, nullable=False, server_default=sa.text("'system'")),
    _ts("created_at", now=True),
    _ts("started_at"),
    _ts("finished_at"),
    sa.CheckConstraint(_in("status", values(RunStatus)), name="runs_status_check"),
)
sa.Index("runs_status", runs.c.status)

#: Score of a lead under one ICP version (history kept; the newest version is "current").
lead_scores = sa.Table(
    "lead_scores",
    metadata,
    sa.Column("lead_id", sa.BigInteger, sa.ForeignKey("leads.id", ondelete="CASCADE",
                                                      name="lead_scores_lead_id_fkey"), primary_key=True),
    sa.Column("icp_version_id", sa.BigInteger, sa.ForeignKey("client_icps.id", ondelete="CASCADE",
                                                             name="lead_scores_icp_version_id_fkey"),
              primary_key=True),
    sa.Column("run_id", sa.BigInteger, sa.ForeignKey("runs.id", ondelete="SET NULL", name="lead_scores_run_id_fkey")),
    sa.Column("icp_score", sa.REAL, nullable=False),
    sa.Column("bucket", sa.Text, nullable=False),
    sa.Column("match_reasoning", sa.Text, nullable=False),
    sa.Column("components", JSONB, nullable=False, server_default=_EMPTY_JSON),
    sa.Column("scorer_version", sa.Text, nullable=False),
    _ts("scored_at", now=True),
    # the scorer's own score and reasoning while a learned model (fitted on the client's reviews)
    # sets icp_score / match_reasoning; NULL = icp_score is the scorer's (revision 0007_learn2).
    # The learner trains on these, never on learned scores.
    sa.Column("static_score", sa.REAL),
    sa.Column("static_reasoning", sa.Text),
    sa.CheckConstraint("icp_score >= 0 AND icp_score <= 100", name="lead_scores_icp_score_check"),
)
sa.Index("lead_scores_version_score", lead_scores.c.icp_version_id, lead_scores.c.icp_score.desc())

#: Review labels: keep / trash / skip, who, when, which ICP version. Undo sets ``undone_at``.
lead_feedback = sa.Table(
    "lead_feedback",
    metadata,
    sa.Column("id", sa.BigInteger, primary_key=True),
    sa.Column("lead_id", sa.BigInteger, sa.ForeignKey("leads.id", ondelete="CASCADE",
                                                      name="lead_feedback_lead_id_fkey"), nullable=False),
    sa.Column("client_id", sa.BigInteger, sa.ForeignKey("clients.id", ondelete="CASCADE",
                                                        name="lead_feedback_client_id_fkey"), nullable=False),
    sa.Column("label", sa.Text, nullable=False),
    sa.Column("reviewer", sa.Text, nullable=False),
    sa.Column("icp_version_id", sa.BigInteger, sa.ForeignKey("client_icps.id", ondelete="SET NULL",
                                                             name="lead_feedback_icp_version_id_fkey")),
    _ts("created_at", now=True),
    _ts("undone_at"),
    # random (the Review page's default order), informative (active learning: trains, never
    # measures) or import (feedback import); revision 0007_learn2
    sa.Column("queue", sa.Text, nullable=False, server_default=sa.text(f"'{ReviewQueue.RANDOM.value}'")),
    sa.CheckConstraint(_in("label", values(FeedbackLabel)), name="lead_feedback_label_check"),
    sa.CheckConstraint(_in("queue", values(ReviewQueue)), name="lead_feedback_queue_check"),
)
sa.Index("lead_feedback_lead", lead_feedback.c.lead_id, postgresql_where=lead_feedback.c.undone_at.is_(None))
sa.Index("lead_feedback_reviewer", lead_feedback.c.client_id, lead_feedback.c.reviewer,
         lead_feedback.c.created_at.desc())

#: Every Apify actor run the product starts, recorded BEFORE it starts (never pay twice).
apify_runs = sa.Table(
    "apify_runs",
    metadata,
    sa.Column("id", sa.BigInteger, primary_key=True),
    sa.Column("run_id", sa.BigInteger, sa.ForeignKey("runs.id", ondelete="SET NULL", name="apify_runs_run_id_fkey")),
    sa.Column("actor_id", sa.Text, nullable=False),
    sa.Column("apify_run_id", sa.Text),
    sa.Column("dataset_id", sa.Text),
    sa.Column("status", sa.Text, nullable=False, server_default=sa.text("'PENDING'")),
    sa.Column("input_urls", JSONB, nullable=False),
    sa.Column("lead_ids", ARRAY(sa.BigInteger), nullable=False, server_default=_EMPTY_BIGINT_ARRAY),
    sa.Column("items_count", sa.Integer),
    sa.Column("matched_count", sa.Integer),
    sa.Column("cost_usd", sa.Numeric(12, 4)),
    sa.Column("error", sa.Text),
    sa.Column("owner", sa.Text, nullable=False),
    _ts("created_at", now=True),
    _ts("started_at"),
    _ts("finished_at"),
    _ts("collected_at"),
    sa.UniqueConstraint("apify_run_id", name="apify_runs_apify_run_id_key"),
)
sa.Index("apify_runs_status", apify_runs.c.status)

#: Dashboard accounts. ``username`` as typed, ``username_key`` its lower-cased form (unique: names
#: are case-insensitive). ``password_hash`` is an argon2id hash (None: signs in only through the
#: identity provider of Streamlit's OIDC login). Failed sign-ins lock the account for a while.
users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.BigInteger, primary_key=True),
    sa.Column("username", sa.Text, nullable=False),
    sa.Column("username_key", sa.Text, nullable=False),
    sa.Column("password_hash", sa.Text),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("failed_logins", sa.Integer, nullable=False, server_default=sa.text("0")),
    _ts("locked_until"),
    _ts("last_login_at"),
    _ts("created_at", now=True),
    _ts("updated_at", now=True),
    sa.UniqueConstraint("username_key", name="users_username_key_key"),
    sa.CheckConstraint(_in("role", values(Role)), name="users_role_check"),
)

#: Server-side dashboard sessions: the browser's cookie holds a signed random token, this table
#: only its SHA-256. Signing out deletes the row; so does deleting the user (cascade).
user_sessions = sa.Table(
    "user_sessions",
    metadata,
    sa.Column("id", sa.BigInteger, primary_key=True),
    sa.Column("token_sha256", sa.Text, nullable=False),
    sa.Column("user_id", sa.BigInteger, sa.ForeignKey("users.id", ondelete="CASCADE",
                                                      name="user_sessions_user_id_fkey"), nullable=False),
    _ts("created_at", now=True),
    _ts("last_seen_at", now=True),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("token_sha256", name="user_sessions_token_sha256_key"),
)
sa.Index("user_sessions_user", user_sessions.c.user_id)

#: Who created, changed or deleted clients, ICP versions and users, and who erased a person:
#: actor, action and ids only (``details`` holds counts and ids, never names or erased data).
#: No foreign keys, so entries outlive what they describe.
audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.BigInteger, primary_key=True),
    _ts("at", now=True),
    sa.Column("actor_id", sa.BigInteger),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("target_type", sa.Text, nullable=False),
    sa.Column("target_id", sa.BigInteger),
    sa.Column("details", JSONB, nullable=False, server_default=_EMPTY_JSON),
)
sa.Index("audit_log_at", audit_log.c.at.desc())
#: Discovery calls read for a client (Fathom meetings and transcript files; revision 0005_calls).
#: The client's ICP proposal is the accumulation of the findings of every ``processed`` row, so a
#: new call expands or revises it; ``utterances``/``invitees`` let a call be read again without
#: fetching it (e.g. after the client's e-mail domains changed).
fathom_calls = sa.Table(
    "fathom_calls",
    metadata,
    sa.Column("id", sa.BigInteger, primary_key=True),
    sa.Column("client_id", sa.BigInteger, sa.ForeignKey("clients.id", ondelete="CASCADE",
                                                        name="fathom_calls_client_id_fkey"), nullable=False),
    # Call.id: "fathom:<recording_id>" for Fathom meetings, "file:<sha256 prefix>" for other files
    sa.Column("call_key", sa.Text, nullable=False),
    # fathom-json, fathom-text, vtt, srt, text (icp_engine.calls.parse)
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("recording_id", sa.BigInteger),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("call_date", sa.Date),
    sa.Column("url", sa.Text),
    sa.Column("language", sa.Text),
    sa.Column("duration_s", sa.Integer),
    sa.Column("filename", sa.Text),
    sa.Column("recorded_by_domain", sa.Text),
    sa.Column("invitee_domains", ARRAY(sa.Text), nullable=False, server_default=_EMPTY_ARRAY),
    sa.Column("invitees", JSONB, nullable=False, server_default=_EMPTY_JSON_LIST),
    # [{speaker, text, seconds, email, company, role}] with the roles of the last reading
    sa.Column("utterances", JSONB, nullable=False),
    # sha256 of the normalised utterance texts: the same call imported twice is found
    sa.Column("content_sha256", sa.Text, nullable=False),
    # "offline" or "openai-<model>" (the extractor of the last reading)
    sa.Column("extractor", sa.Text, nullable=False),
    # [Finding.to_dict()] of the last reading
    sa.Column("findings", JSONB, nullable=False, server_default=_EMPTY_JSON_LIST),
    sa.Column("status", sa.Text, nullable=False, server_default=sa.text(f"'{CallStatus.PROCESSED.value}'")),
    sa.Column("error", sa.Text),
    sa.Column("imported_by", sa.Text, nullable=False),
    _ts("imported_at", now=True),
    _ts("read_at", now=True),
    # the ICP version saved by the review that included this call (None: not reviewed yet)
    sa.Column("applied_icp_version_id", sa.BigInteger,
              sa.ForeignKey("client_icps.id", ondelete="SET NULL", name="fathom_calls_applied_icp_version_id_fkey")),
    sa.UniqueConstraint("client_id", "call_key", name="fathom_calls_client_id_call_key_key"),
    sa.CheckConstraint(_in("status", values(CallStatus)), name="fathom_calls_status_check"),
)
sa.Index("fathom_calls_client_date", fathom_calls.c.client_id, fathom_calls.c.call_date)
sa.Index("fathom_calls_client_sha", fathom_calls.c.client_id, fathom_calls.c.content_sha256)

#: Verdicts of the optional LLM judge (:mod:`icp_engine.scoring.judge`), one per (ICP version,
#: profile hash, model): the same lead and ICP version are never judged (nor paid for) twice.
#: ``icp_version`` is the ICP's content hash (``scoring.scorer.icp_version_key``), ``profile_hash``
#: the SHA-1 of what the judge saw of the lead (``scoring.judge.profile_hash``); ``verdicts`` is
#: ``{criterion: {"verdict", "reason"}}``.
llm_judgements = sa.Table(
    "llm_judgements",
    metadata,
    sa.Column("icp_version", sa.Text, primary_key=True),
    sa.Column("profile_hash", sa.Text, primary_key=True),
    sa.Column("model", sa.Text, primary_key=True),
    sa.Column("verdicts", JSONB, nullable=False),
    _ts("created_at", now=True),
)


def include_name(name: str | None, type_: str, parent_names: dict[str, str | None]) -> bool:
    """Alembic ``include_name`` hook: leave the job queue's tables (``procrastinate_*``, created by
    migration 0002 from procrastinate's own schema) out of autogenerate; they are not declared here."""
    return not (type_ == "table" and (name or "").startswith("procrastinate_"))
