"""Discovery calls: ``fathom_calls`` (the calls read for a client, with utterances, findings,
extractor, status, who imported them and the ICP version they were applied to) and
``clients.email_domains`` (the client's e-mail domains, edited on the Clients page).

Revision ID: 0005_calls
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0005_calls'
down_revision = "0002_house2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('fathom_calls',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('client_id', sa.BigInteger(), nullable=False),
    sa.Column('call_key', sa.Text(), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('recording_id', sa.BigInteger(), nullable=True),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('call_date', sa.Date(), nullable=True),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('language', sa.Text(), nullable=True),
    sa.Column('duration_s', sa.Integer(), nullable=True),
    sa.Column('filename', sa.Text(), nullable=True),
    sa.Column('recorded_by_domain', sa.Text(), nullable=True),
    sa.Column('invitee_domains', postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'::text[]"), nullable=False),
    sa.Column('invitees', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'::jsonb"), nullable=False),
    sa.Column('utterances', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('content_sha256', sa.Text(), nullable=False),
    sa.Column('extractor', sa.Text(), nullable=False),
    sa.Column('findings', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'::jsonb"), nullable=False),
    sa.Column('status', sa.Text(), server_default=sa.text("'processed'"), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('imported_by', sa.Text(), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('applied_icp_version_id', sa.BigInteger(), nullable=True),
    sa.CheckConstraint("status IN ('processed', 'failed', 'ignored')", name='fathom_calls_status_check'),
    sa.ForeignKeyConstraint(['applied_icp_version_id'], ['client_icps.id'], name='fathom_calls_applied_icp_version_id_fkey', ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name='fathom_calls_client_id_fkey', ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('client_id', 'call_key', name='fathom_calls_client_id_call_key_key')
    )
    op.create_index('fathom_calls_client_date', 'fathom_calls', ['client_id', 'call_date'], unique=False)
    op.create_index('fathom_calls_client_sha', 'fathom_calls', ['client_id', 'content_sha256'], unique=False)
    op.add_column('clients', sa.Column('email_domains', postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'::text[]"), nullable=False))


def downgrade() -> None:
    op.drop_column('clients', 'email_domains')
    op.drop_index('fathom_calls_client_sha', table_name='fathom_calls')
    op.drop_index('fathom_calls_client_date', table_name='fathom_calls')
    op.drop_table('fathom_calls')
