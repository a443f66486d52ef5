"""Qualification: field-aware, calibrated 0-100 ``icp_score`` with ``match_reasoning``.

Entry point: :class:`icp_engine.scoring.scorer.Scorer` - ``Scorer(embedder, reranker=None)``
then ``scorer.score(icp, profiles) -> list[ScoreResult]``. The CLI ``rank`` command and the
app's pipeline both call exactly this.
"""
