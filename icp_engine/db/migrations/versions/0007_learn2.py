"""Learning from reviews (issue 10 part 2): ``lead_feedback.queue`` (random | informative | import:
where a label came from, so active-learning labels never measure the model) and
``lead_scores.static_score`` / ``static_reasoning`` (the scorer's own score and reasoning while a
learned model sets ``icp_score``; the learner trains on these, never on learned scores).

Revision ID: 0007_learn2
Revises: 0006_match2
"""
import sqlalchemy as sa
from alembic import op

revision = "0007_learn2"
down_revision = "0006_match2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("lead_feedback", sa.Column("queue", sa.Text(), server_default=sa.text("'random'"), nullable=False))
    op.create_check_constraint("lead_feedback_queue_check", "lead_feedback",
                               "queue IN ('random', 'informative', 'import')")
    op.add_column("lead_scores", sa.Column("static_score", sa.REAL(), nullable=True))
    op.add_column("lead_scores", sa.Column("static_reasoning", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("lead_scores", "static_reasoning")
    op.drop_column("lead_scores", "static_score")
    op.drop_constraint("lead_feedback_queue_check", "lead_feedback", type_="check")
    op.drop_column("lead_feedback", "queue")
