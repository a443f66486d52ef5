"""Industry criterion: lead industry vs ICP target industries on the LinkedIn V2 hierarchy.

Relations come from :func:`icp_engine.taxonomy.industry_relation` (V2 labels, legacy V1 names
and common aliases are all accepted): the lead's industry equal to a target or below it counts
fully; the target's parent (broader) industry or a sibling under the same parent counts partly,
a more distant ancestor less. When a label
is not in the taxonomy the cosine similarity of the labels' embeddings decides, scaled so that it
never beats a hierarchical match.
"""

from __future__ import annotations

from typing import Sequence

from ..taxonomy import canonical_industry, industry_ancestors, industry_relation

#: Credit per relation of the lead's industry to a target industry.
RELATION_CREDIT: dict[str, float] = {
    "same": 1.0,
    "descendant": 0.95,
    "ancestor": 0.6,  # the target's direct parent (a broader label)
    "sibling": 0.5,
}

#: Credit when the lead's industry is a more distant ancestor (grandparent or above) of a target.
DISTANT_ANCESTOR_CREDIT = 0.3

#: Embedding fallback: cosine ``c`` gives ``max(0, (c - COS_FLOOR) / (1 - COS_FLOOR)) * COS_CAP``.
COS_FLOOR = 0.55
COS_CAP = 0.6


def industry_fit(lead_industry: str | None, targets: Sequence[str],
                 cosines: Sequence[float] | None = None) -> tuple[float | None, str | None, str | None]:
    """Industry fit of one lead.

    ``lead_industry``: the lead's industry label (any form); ``targets``: ICP target industries;
    ``cosines``: optional cosine similarity of the lead label to each target (same order), used
    when the hierarchy has no relation. Returns ``(fit in [0, 1] or None when unknown / not a
    criterion, relation name or "similar"/None, the best target)``.
    """
    if not targets:
        return None, None, None
    if not lead_industry or not str(lead_industry).strip():
        return None, None, None
    best, rel_best, tgt_best = 0.0, None, None
    for j, t in enumerate(targets):
        rel = industry_relation(lead_industry, t)
        v = RELATION_CREDIT.get(rel or "", 0.0)
        if rel == "ancestor" and industry_ancestors(t)[:1] != [canonical_industry(lead_industry)]:
            v = DISTANT_ANCESTOR_CREDIT
        if rel is None and cosines is not None:
            c = float(cosines[j])
            v = max(0.0, (c - COS_FLOOR) / (1.0 - COS_FLOOR)) * COS_CAP
            if canonical_industry(lead_industry) is not None and canonical_industry(t) is not None:
                v *= 0.5  # both known to the taxonomy and unrelated: similarity counts less
            rel = "similar" if v >= 0.3 else None
        if v > best:
            best, rel_best, tgt_best = v, rel, t
    return best, rel_best, tgt_best or targets[0]
