"""Learning from reviews: a per-client model of P(keep), proven on held-out labels before use.

Public interface (what the pipeline, the CLI and the dashboard call):

* :class:`~icp_engine.learning.features.Label` - one keep/trash verdict (reviewer, ICP version,
  review queue); :func:`~icp_engine.learning.features.labels_from_rows` builds them from
  ``lead_feedback`` rows.
* :class:`~icp_engine.learning.features.LeadFeatures` - per lead: frozen whole-profile embedding,
  static P(keep) (``icp_score / 100``), the scorer's components; ``LeadFeatures.build(ids,
  profiles, results, embedder)``.
* :class:`~icp_engine.learning.model.LearnedModel` - ``model.fit(labels, features,
  current_icp_version=...) -> FitReport`` (cross-validated static vs learned AUC, the gate's
  verdict and reason, learning curve, suggested extra labels, seconds).
* :func:`~icp_engine.learning.model.apply` - ``apply(model, features, static_prob) -> (prob,
  delta_points)``: the learned calibrated P(keep) when the gate passed, else the static one.
* :func:`~icp_engine.learning.model.explain_delta` - ``"learned from N reviews: +X"``.
* :func:`~icp_engine.learning.active.informative_order` - optional "most informative next" review
  order (BALD or uncertainty); its labels must be stored with ``queue="informative"``.

No torch: numpy + scipy (the GP) only. See :mod:`icp_engine.learning.model` for the method and
the gate, ``benchmarks/bench_learning.py`` for the measurements.
"""

from .active import informative_order
from .features import QUEUES, UNBIASED_QUEUES, Label, LeadFeatures, aggregate_labels, labels_from_rows
from .model import FitReport, LearnedModel, LearningConfig, apply, explain_delta

__all__ = [
    "Label",
    "LeadFeatures",
    "QUEUES",
    "UNBIASED_QUEUES",
    "aggregate_labels",
    "labels_from_rows",
    "LearnedModel",
    "LearningConfig",
    "FitReport",
    "apply",
    "explain_delta",
    "informative_order",
]
