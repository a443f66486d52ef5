"""Initial schema: clients, ICP versions, batches, leads, profile cache, embeddings, scores,
feedback, runs and Apify actor runs.

Revision ID: 0001
Revises:
"""
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SCHEMA = r"""
CREATE EXTENSION IF NOT EXISTS vector;

CREATE TABLE clients (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    notes       text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Every saved ICP is a new version; qualifications record the version they used.
CREATE TABLE client_icps (
    id          bigserial PRIMARY KEY,
    client_id   bigint NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    version     integer NOT NULL,
    icp         jsonb NOT NULL,
    created_by  text NOT NULL DEFAULT 'system',
    change_note text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (client_id, version)
);

-- One upload.
CREATE TABLE batches (
    id              bigserial PRIMARY KEY,
    client_id       bigint NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    name            text NOT NULL,
    source_filename text NOT NULL DEFAULT '',
    source_kind     text NOT NULL DEFAULT '',
    file_sha256     text,
    people_in_file  integer NOT NULL DEFAULT 0,
    new_leads       integer NOT NULL DEFAULT 0,
    known_leads     integer NOT NULL DEFAULT 0,
    created_by      text NOT NULL DEFAULT 'system',
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- A person as a lead of one client (unique per client and profile, not globally).
CREATE TABLE leads (
    id              bigserial PRIMARY KEY,
    client_id       bigint NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    batch_id        bigint NOT NULL REFERENCES batches(id) ON DELETE CASCADE,
    profile_key     text NOT NULL,
    profile_id      text,
    vanity          text,
    profile_url     text NOT NULL,
    input_url       text NOT NULL,
    name            text,
    headline        text,
    location        text,
    degree          text,
    status          text NOT NULL DEFAULT 'discovered'
                    CHECK (status IN ('discovered','enriched','qualified','exported','failed')),
    error_message   text,
    retry_count     integer NOT NULL DEFAULT 0,
    -- enrichment (Profile fields)
    titles          text[] NOT NULL DEFAULT '{}',
    company         text,
    company_size    text,
    industry        text,
    summary         text,
    past_roles      text[] NOT NULL DEFAULT '{}',
    skills          text[] NOT NULL DEFAULT '{}',
    enrichment_source text,
    enriched_at     timestamptz,
    -- classification
    industry_class  text,
    company_type    text,
    classification_reason text,
    classification_source text,
    exported_at     timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (client_id, profile_key)
);
CREATE INDEX leads_client_profile_id ON leads (client_id, profile_id) WHERE profile_id IS NOT NULL;
CREATE INDEX leads_client_vanity ON leads (client_id, vanity) WHERE vanity IS NOT NULL;
CREATE INDEX leads_batch_status ON leads (batch_id, status);
CREATE INDEX leads_client_status ON leads (client_id, status);

-- Every lead seen in an upload, new or already known: the scope of "run this batch".
CREATE TABLE batch_members (
    batch_id    bigint NOT NULL REFERENCES batches(id) ON DELETE CASCADE,
    lead_id     bigint NOT NULL REFERENCES leads(id) ON DELETE CASCADE,
    position    integer NOT NULL,
    is_new      boolean NOT NULL,
    PRIMARY KEY (batch_id, lead_id)
);
CREATE INDEX batch_members_lead ON batch_members (lead_id);

-- Scraped profiles shared by all clients; fresh for profile_cache_ttl_days (30).
CREATE TABLE profile_cache (
    profile_key  text PRIMARY KEY,
    profile_id   text,
    vanity       text,
    source       text NOT NULL,
    item         jsonb NOT NULL,
    fetched_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX profile_cache_profile_id ON profile_cache (profile_id) WHERE profile_id IS NOT NULL;
CREATE INDEX profile_cache_vanity ON profile_cache (vanity) WHERE vanity IS NOT NULL;

-- Embedding cache: one vector per (model, text); the model name is stored with each vector.
CREATE TABLE text_embeddings (
    model       text NOT NULL,
    text_sha1   text NOT NULL,
    text        text NOT NULL,
    dim         integer NOT NULL,
    embedding   vector NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (model, text_sha1)
);

-- Whole-profile vectors, for nearest-neighbour queries in pgvector (similar leads, ICP search).
CREATE TABLE lead_embeddings (
    lead_id     bigint NOT NULL REFERENCES leads(id) ON DELETE CASCADE,
    model       text NOT NULL,
    embedding   vector NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (lead_id, model)
);

-- Qualification runs: one record, progress read from here by every page and worker.
CREATE TABLE runs (
    id            bigserial PRIMARY KEY,
    client_id     bigint NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    batch_id      bigint REFERENCES batches(id) ON DELETE CASCADE,
    icp_version_id bigint NOT NULL REFERENCES client_icps(id),
    status        text NOT NULL DEFAULT 'queued'
                  CHECK (status IN ('queued','running','paused','completed','failed','cancelled')),
    stage         text NOT NULL DEFAULT 'queued',
    options       jsonb NOT NULL DEFAULT '{}',
    counts        jsonb NOT NULL DEFAULT '{}',
    estimate      jsonb NOT NULL DEFAULT '{}',
    actual        jsonb NOT NULL DEFAULT '{}',
    error         text,
    worker_id     text,
    heartbeat_at  timestamptz,
    created_by    text NOT NULL DEFAULT 'system',
    created_at    timestamptz NOT NULL DEFAULT now(),
    started_at    timestamptz,
    finished_at   timestamptz
);
CREATE INDEX runs_status ON runs (status);

-- Score of a lead under one ICP version (history kept; the newest version is "current").
CREATE TABLE lead_scores (
    lead_id         bigint NOT NULL REFERENCES leads(id) ON DELETE CASCADE,
    icp_version_id  bigint NOT NULL REFERENCES client_icps(id) ON DELETE CASCADE,
    run_id          bigint REFERENCES runs(id) ON DELETE SET NULL,
    icp_score       real NOT NULL CHECK (icp_score >= 0 AND icp_score <= 100),
    bucket          text NOT NULL,
    match_reasoning text NOT NULL,
    components      jsonb NOT NULL DEFAULT '{}',
    scorer_version  text NOT NULL,
    scored_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (lead_id, icp_version_id)
);
CREATE INDEX lead_scores_version_score ON lead_scores (icp_version_id, icp_score DESC);

-- Review labels: keep / trash / skip, who, when, which ICP version. Undo sets undone_at.
CREATE TABLE lead_feedback (
    id              bigserial PRIMARY KEY,
    lead_id         bigint NOT NULL REFERENCES leads(id) ON DELETE CASCADE,
    client_id       bigint NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    label           text NOT NULL CHECK (label IN ('keep','trash','skip')),
    reviewer        text NOT NULL,
    icp_version_id  bigint REFERENCES client_icps(id) ON DELETE SET NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    undone_at       timestamptz
);
CREATE INDEX lead_feedback_lead ON lead_feedback (lead_id) WHERE undone_at IS NULL;
CREATE INDEX lead_feedback_reviewer ON lead_feedback (client_id, reviewer, created_at DESC);

-- Every Apify actor run the product starts, recorded BEFORE it starts (never pay twice).
CREATE TABLE apify_runs (
    id              bigserial PRIMARY KEY,
    run_id          bigint REFERENCES runs(id) ON DELETE SET NULL,
    actor_id        text NOT NULL,
    apify_run_id    text UNIQUE,
    dataset_id      text,
    status          text NOT NULL DEFAULT 'PENDING',
    input_urls      jsonb NOT NULL,
    lead_ids        bigint[] NOT NULL DEFAULT '{}',
    items_count     integer,
    matched_count   integer,
    cost_usd        numeric(12,4),
    error           text,
    owner           text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    started_at      timestamptz,
    finished_at     timestamptz,
    collected_at    timestamptz
);
CREATE INDEX apify_runs_status ON apify_runs (status);
"""


def upgrade() -> None:
    op.execute(SCHEMA)


def downgrade() -> None:
    op.execute(
        "DROP TABLE IF EXISTS apify_runs, lead_feedback, lead_scores, runs, lead_embeddings, "
        "text_embeddings, profile_cache, batch_members, leads, batches, client_icps, clients CASCADE"
    )
