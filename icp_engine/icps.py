"""ICP editing helpers: templates, suggestions and choice lists for the editor, and the diff of two versions.

Pure functions and constants (no I/O) used by the Clients & ICP page and available to the CLI.
Choice lists come from :mod:`icp_engine.taxonomy` (LinkedIn Industry Codes V2 labels, company
types, named sizes) and :data:`icp_engine.domain.SIZE_BANDS`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .domain import ICP, SIZE_BANDS

#: Job titles offered in the editor (anything else can be typed).
TITLE_SUGGESTIONS: tuple[str, ...] = (
    "CFO", "Chief Financial Officer", "VP Finance", "Head of Finance", "Finance Director",
    "Financial Controller", "Controller", "FP&A Manager", "CEO", "Founder", "Co-Founder", "COO",
    "CTO", "VP Engineering", "Head of Engineering", "CMO", "VP Marketing", "Head of Marketing",
    "Head of Growth", "CRO", "VP Sales", "Head of Sales", "Head of Revenue Operations",
    "CHRO", "VP People", "Head of People", "HR Director", "Head of Procurement", "General Counsel",
)
#: Exclusion phrases offered in the editor.
EXCLUSION_SUGGESTIONS: tuple[str, ...] = (
    "student", "intern", "recruiter", "talent acquisition", "retired", "job seeker", "freelancer",
)
#: Keywords offered in the editor.
KEYWORD_SUGGESTIONS: tuple[str, ...] = (
    "SaaS", "B2B", "FP&A", "fintech", "seed", "Series A", "e-commerce", "AI", "marketplace",
)
_NAMED_SIZES_SHOWN = ("startup", "small business", "scaleup", "mid market", "enterprise")

#: Starting points for a new ICP, by display name (ICP JSON dicts).
ICP_TEMPLATES: dict[str, dict[str, Any]] = {
    "Finance leaders at B2B SaaS": {
        "name": "Finance leaders at B2B SaaS",
        "target_titles": ["CFO", "VP Finance", "Head of Finance", "Finance Director", "Financial Controller"],
        "target_industries": ["Software Development", "Financial Services"],
        "company_sizes": ["51-200", "201-500", "501-1000"],
        "keywords": ["SaaS", "B2B", "FP&A"],
        "exclusions": ["student", "intern", "recruiter"],
        "notes": "Finance decision makers at B2B software companies past product-market fit.",
    },
    "Founders of seed-stage startups": {
        "name": "Founders of seed-stage startups",
        "target_titles": ["Founder", "Co-Founder", "CEO"],
        "target_industries": ["Software Development", "Technology, Information and Internet"],
        "company_sizes": ["1-10", "11-50"],
        "company_types": ["startup"],
        "keywords": ["seed", "pre-seed", "startup"],
        "exclusions": ["student", "recruiter", "investor"],
        "notes": "Founders who are raising or just raised a seed round.",
    },
    "Marketing leaders at mid-market e-commerce": {
        "name": "Marketing leaders at mid-market e-commerce",
        "target_titles": ["CMO", "VP Marketing", "Head of Marketing", "Head of Growth"],
        "target_industries": ["Retail", "Online and Mail Order Retail"],
        "company_sizes": ["201-500", "501-1000", "1001-5000"],
        "keywords": ["e-commerce", "D2C", "performance marketing"],
        "exclusions": ["student", "intern", "agency"],
        "notes": "",
    },
    "People & HR leaders at scale-ups": {
        "name": "People & HR leaders at scale-ups",
        "target_titles": ["CHRO", "VP People", "Head of People", "HR Director"],
        "target_industries": [],
        "company_sizes": ["201-500", "501-1000", "1001-5000"],
        "company_types": ["scaleup", "mid-market"],
        "keywords": ["hiring", "people operations"],
        "exclusions": ["recruiter", "student"],
        "notes": "",
    },
}

#: Editable ICP fields, in the editor's order.
ICP_FIELDS: tuple[str, ...] = (
    "name", "target_titles", "target_industries", "company_sizes", "company_types", "keywords", "exclusions",
    "locations", "notes",
)


def industry_choices() -> list[str]:
    """LinkedIn Industry Codes V2 labels for the industry picker (empty if the taxonomy is unavailable)."""
    try:
        from . import taxonomy

        return list(getattr(taxonomy, "INDUSTRIES", ()) or ())
    except Exception:  # noqa: BLE001 - the editor still works with free text
        return []


def company_type_choices() -> list[str]:
    """The classifier's company types (without ``unknown``) for the company-type picker."""
    try:
        from . import taxonomy

        return [t for t in getattr(taxonomy, "COMPANY_TYPES", ()) if t != "unknown"]
    except Exception:  # noqa: BLE001
        return []


def size_choices() -> list[str]:
    """LinkedIn size bands, then a few named sizes the scorer maps onto bands (``startup``...)."""
    try:
        from . import taxonomy

        named = getattr(taxonomy, "NAMED_SIZES", None) or {}
    except Exception:  # noqa: BLE001
        named = {}
    return list(SIZE_BANDS) + [s for s in _NAMED_SIZES_SHOWN if s in named and s not in SIZE_BANDS]


def function_choices() -> list[str]:
    """LinkedIn Sales Navigator's 26 job functions, for the ICP's function picker."""
    from .scoring.functions import FUNCTIONS

    return list(FUNCTIONS)


def seniority_choices() -> list[str]:
    """LinkedIn Sales Navigator's 10 seniority levels, most senior first, for the level picker."""
    from .scoring.functions import SENIORITIES

    return list(SENIORITIES)


def implied_roles(titles: Sequence[str]) -> tuple[list[str], list[str]]:
    """``(functions, seniorities)`` that free target titles imply, as the scorer reads them
    (group phrases split into jobs, plural role nouns made singular;
    :func:`icp_engine.scoring.functions.icp_targets`): ``["CFO", "VP Finance"]`` ->
    ``(["Finance"], ["CXO", "Vice President"])``. Seniorities in Sales Navigator's order."""
    from .scoring.functions import SENIORITIES, icp_targets
    from .scoring.targets import expand_target, singular_roles

    variants = [singular_roles(v) for t in titles for v in (expand_target(t) or (t,))]
    it = icp_targets(variants)
    return list(it.functions), [s for s in SENIORITIES if s in it.seniorities]


def icp_diff(old: dict[str, Any] | ICP | None, new: dict[str, Any] | ICP) -> list[str]:
    """Human-readable changes between two ICPs (JSON dicts or :class:`ICP`), e.g.
    ``["+ titles: CFO", "notes changed"]``.

    List fields report added (``+``) and removed (``-``) items; text fields report "changed".
    The first version (``old`` None) reports every non-empty field as added.
    """
    a_icp = old.model_dump() if isinstance(old, ICP) else (old or {})
    b_icp = new.model_dump() if isinstance(new, ICP) else new
    out: list[str] = []
    labels = {
        "target_titles": "titles", "target_industries": "industries", "company_sizes": "sizes",
        "keywords": "keywords", "locations": "locations", "exclusions": "exclusions",
        "company_types": "company types", "functions": "job functions", "seniorities": "seniority levels",
    }
    for key, label in labels.items():
        a, b = list(a_icp.get(key) or []), list(b_icp.get(key) or [])
        added = [x for x in b if x not in a]
        removed = [x for x in a if x not in b]
        if added:
            out.append(f"+ {label}: {', '.join(added)}")
        if removed:
            out.append(f"- {label}: {', '.join(removed)}")
    for key in ("name", "notes"):
        if (a_icp.get(key) or "") != (b_icp.get(key) or ""):
            out.append(f"{key} changed" if a_icp else f"{key} set")
    return out


def history_with_changes(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """ICP versions (newest first, rows of ``client_icps``) with what each changed:
    ``[{"version", "when", "who", "note", "changes"}]`` (``changes`` joined with ``; ``)."""
    out = []
    for i, row in enumerate(history):
        older = history[i + 1]["icp"] if i + 1 < len(history) else None
        out.append({"version": row["version"], "when": row["created_at"], "who": row["created_by"],
                    "note": row["change_note"], "changes": "; ".join(icp_diff(older, row["icp"])) or "no change"})
    return out
