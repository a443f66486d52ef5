"""Leads: enrichment note, name + company linking key, classification guesses and sources.

* ``leads.enrichment_note``: why the enrichment provider had no data for the lead (it is then
  qualified on the upload's data), shown in the CSV's reasoning.
* ``leads.name_key`` + index ``(client_id, name_key)``: the name + company key
  (``icp_engine.domain.name_company_key``) that links a lead without a profile URL to one with.
  Filled for existing leads: a lead keyed by name + company gets its key; any other lead with a
  name gets the key of its name and company (the company read from its headline when unknown).
* ``leads.industry_guess``, ``industry_source``, ``company_type_source``,
  ``company_type_is_guess``: the fields of ``icp_engine.classify.Classification`` (issue 8).
  Classifications of the old offline classifier that guessed an industry from the letters of a
  company name (``classification_source`` starting with ``offline`` and an ``industry_class``)
  are cleared so the next run classifies those leads again without the guess.

Revision ID: 0006_inputs2
Revises: 0005_calls
"""
import sqlalchemy as sa
from alembic import op

revision = "0006_inputs2"
down_revision = "0003_security"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("leads", sa.Column("enrichment_note", sa.Text(), nullable=True))
    op.add_column("leads", sa.Column("name_key", sa.Text(), nullable=True))
    op.add_column("leads", sa.Column("industry_guess", sa.Text(), nullable=True))
    op.add_column("leads", sa.Column("industry_source", sa.Text(), nullable=True))
    op.add_column("leads", sa.Column("company_type_source", sa.Text(), nullable=True))
    op.add_column("leads", sa.Column("company_type_is_guess", sa.Boolean(), server_default=sa.false(),
                                     nullable=False))
    op.create_index("leads_client_name_key", "leads", ["client_id", "name_key"], unique=False,
                    postgresql_where=sa.text("name_key IS NOT NULL"))
    conn = op.get_bind()
    conn.execute(sa.text("UPDATE leads SET name_key = profile_key WHERE profile_key LIKE 'name:%'"))
    _backfill_name_keys(conn)
    conn.execute(sa.text(
        "UPDATE leads SET industry_class = NULL, company_type = NULL, classification_reason = NULL, "
        "classification_source = NULL WHERE classification_source LIKE 'offline%' AND industry_class IS NOT NULL"
    ))


def _backfill_name_keys(conn) -> None:
    from icp_engine.enrich.page import linking_key

    last = 0
    while True:
        rows = conn.execute(sa.text(
            "SELECT id, name, company, headline FROM leads WHERE id > :last AND name_key IS NULL "
            "AND name IS NOT NULL ORDER BY id LIMIT 5000"), {"last": last}).all()
        if not rows:
            return
        last = rows[-1].id
        values = [{"i": r.id, "k": linking_key(r.name, r.company, r.headline)} for r in rows]
        values = [v for v in values if v["k"]]
        if values:
            conn.execute(sa.text("UPDATE leads SET name_key = :k WHERE id = :i"), values)


def downgrade() -> None:
    op.drop_index("leads_client_name_key", table_name="leads", postgresql_where=sa.text("name_key IS NOT NULL"))
    for col in ("company_type_is_guess", "company_type_source", "industry_source", "industry_guess", "name_key",
                "enrichment_note"):
        op.drop_column("leads", col)
