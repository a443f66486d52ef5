"""Qualification: field-aware, calibrated 0-100 ``icp_score`` with ``match_reasoning``.

Entry point: :class:`icp_engine.scoring.scorer.Scorer` - ``Scorer(embedder, reranker=None,
rerank_top_n=200)`` then ``scorer.score(icp, profiles) -> list[ScoreResult]``. The CLI ``rank``
command and the app's pipeline both call exactly this.

Modules:

* :mod:`.scorer` - the scorer (stage 1 per criterion + optional reranking of the top N).
* :mod:`.titles` - hand-written title knowledge: abbreviations, seniority, job functions, role
  kinds, headline parsing, student / retiree / recruiter / open-to-work detection.
* :mod:`.title_match` - title-pair features and their fitted weights, equivalence floors.
* :mod:`.industry` - industry fit on the LinkedIn V2 hierarchy (:mod:`icp_engine.taxonomy`).
* :mod:`.sizes` - size bands, named sizes, adjacent-band credit.
* :mod:`.calibration` - raw -> 0-1 fits, the combination of criteria, meaning of the 0-100 score.
"""

from .scorer import SCORER_VERSION, Scorer

__all__ = ["Scorer", "SCORER_VERSION"]
