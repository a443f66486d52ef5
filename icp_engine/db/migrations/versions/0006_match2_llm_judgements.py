"""LLM judgements: ``llm_judgements`` (verdicts of the optional LLM judge per ICP version, profile
hash and model; :class:`icp_engine.scoring.judge.PostgresJudgeCache`).

Revision ID: 0006_match2
Revises: 0006_inputs2
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006_match2"
down_revision = "0006_inputs2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "llm_judgements",
        sa.Column("icp_version", sa.Text(), nullable=False),
        sa.Column("profile_hash", sa.Text(), nullable=False),
        sa.Column("model", sa.Text(), nullable=False),
        sa.Column("verdicts", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("icp_version", "profile_hash", "model"),
    )


def downgrade() -> None:
    op.drop_table("llm_judgements")
