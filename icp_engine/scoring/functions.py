"""Job function and seniority in LinkedIn Sales Navigator's terms, for leads and ICPs.

Sales Navigator's lead filters use 26 **functions** (:data:`FUNCTIONS`, as listed in its
"Function" filter) and 10 **seniority levels** (:data:`SENIORITIES`: Owner / Partner, CXO, Vice
President, Director, Experienced Manager, Entry Level Manager, Strategic, Senior, Entry Level,
In Training). This module classifies a job title into both, offline, from the project's
hand-written title lexicon (:mod:`icp_engine.scoring.titles`: :data:`~titles.FUNCTIONS` word
lists and the 0-7 seniority tiers), and derives the functions and levels an ICP implies from its
free titles ("CFO, VP Finance" -> Finance; CXO, Vice President).

* :func:`classify_title` -> :class:`TitleClass` (Sales Navigator functions, seniority label,
  the 0-7 tier, and the fine lexicon functions the scorer compares).
* :func:`icp_targets` -> :class:`IcpTargets`: the ICP's functions and levels, explicit
  (``ICP.functions`` / ``ICP.seniorities``) or implied by its titles.
* :func:`canonical_function`, :func:`canonical_seniority`: user input -> the exact label, or None.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

from .titles import normalize_title, title_features

#: Sales Navigator's job functions (lead filter "Function").
FUNCTIONS: tuple[str, ...] = (
    "Accounting", "Administrative", "Arts and Design", "Business Development",
    "Community and Social Services", "Consulting", "Customer Success and Support", "Education",
    "Engineering", "Entrepreneurship", "Finance", "Healthcare Services", "Human Resources",
    "Information Technology", "Legal", "Marketing", "Media and Communication",
    "Military and Protective Services", "Operations", "Product Management",
    "Program and Project Management", "Purchasing", "Quality Assurance", "Real Estate",
    "Research", "Sales",
)

#: Sales Navigator's seniority levels, most senior first.
SENIORITIES: tuple[str, ...] = (
    "Owner / Partner", "CXO", "Vice President", "Director", "Experienced Manager",
    "Entry Level Manager", "Strategic", "Senior", "Entry Level", "In Training",
)

#: Seniority label -> tier on the scorer's 0-7 scale (:data:`titles.SENIORITY_LEVELS`), used for
#: distances ("Director" is one step from "Vice President").
SENIORITY_TIER: dict[str, int] = {
    "Owner / Partner": 7, "CXO": 7, "Vice President": 6, "Director": 5, "Experienced Manager": 4,
    "Entry Level Manager": 4, "Strategic": 3, "Senior": 3, "Entry Level": 1, "In Training": 0,
}

#: Fine lexicon function (keys of :data:`titles.FUNCTIONS`) -> Sales Navigator function(s).
_FINE_TO_SN: dict[str, tuple[str, ...]] = {
    "finance": ("Finance",), "accounting": ("Accounting",), "sales": ("Sales",),
    "marketing": ("Marketing",), "communications": ("Media and Communication",),
    "hr": ("Human Resources",), "recruiting": ("Human Resources",), "training": ("Education",),
    "operations": ("Operations",), "executive": ("Entrepreneurship",),
    "software": ("Engineering",), "it": ("Information Technology",),
    "security": ("Information Technology",), "data": ("Engineering",),
    "product": ("Product Management",), "project": ("Program and Project Management",),
    "consulting": ("Consulting",), "legal": ("Legal",), "compliance": ("Legal",),
    "procurement": ("Purchasing",), "supply_chain": ("Operations",),
    "manufacturing": ("Operations",), "engineering": ("Engineering",),
    "healthcare": ("Healthcare Services",), "nursing": ("Healthcare Services",),
    "design": ("Arts and Design",), "customer_service": ("Customer Success and Support",),
    "research": ("Research",), "strategy": ("Business Development",),
    "real_estate": ("Real Estate",), "education": ("Education",),
}

#: Sales Navigator function -> the fine lexicon functions it covers (for ICP pickers).
SN_TO_FINE: dict[str, frozenset[str]] = {
    sn: frozenset(f for f, sns in _FINE_TO_SN.items() if sn in sns) for sn in FUNCTIONS
}
# functions the lexicon has no word list for: matched by words in the title
_SN_WORDS: dict[str, re.Pattern[str]] = {
    "Administrative": re.compile(r"\b(administrative|admin|office\b|secretar|receptionist|clerk|"
                                 r"executive assistant|personal assistant|data entry)"),
    "Business Development": re.compile(r"\b(business development|partnerships?|alliances?|"
                                       r"corporate development)\b"),
    "Community and Social Services": re.compile(r"\b(social work|social worker|community|"
                                                r"counsel+or|case worker|caseworker|youth|nonprofit|"
                                                r"volunteer|charity|outreach)"),
    "Military and Protective Services": re.compile(r"\b(military|army|navy|air force|marine corps|"
                                                   r"police|officer of the|firefight|security guard|"
                                                   r"guard|soldier|sergeant|lieutenant|captain|"
                                                   r"colonel|detective|law enforcement)"),
    "Quality Assurance": re.compile(r"\b(quality|qa|qc|test engineer|tester|testing|inspector)"),
    "Entrepreneurship": re.compile(r"\b(founder|cofounder|owner|entrepreneur|self[- ]employed|"
                                   r"freelance)"),
}

_OWNER = re.compile(r"\b(founder|cofounder|owner|partner|proprietor|self[- ]employed|entrepreneur)\b")
_STRATEGIC = re.compile(r"\b(consultant|advisor|adviser|strategist|architect|principal|expert|"
                        r"board member|investor|fellow)\b")
_ENTRY_MANAGER = re.compile(r"\b(assistant manager|deputy manager|team lead|team leader|supervisor|"
                            r"shift lead|shift manager|foreman|coordinator lead|junior manager)\b")


@dataclass(frozen=True)
class TitleClass:
    """Function and seniority of one job title.

    ``functions``: Sales Navigator functions (0-3, most specific first); ``seniority``: one of
    :data:`SENIORITIES` or None when the title is empty; ``tier``: the 0-7 seniority tier or None;
    ``fine``: the lexicon functions behind ``functions`` (what the scorer compares).
    """

    functions: tuple[str, ...]
    seniority: str | None
    tier: int | None
    fine: frozenset[str]


@lru_cache(maxsize=200_000)
def classify_title(title: str) -> TitleClass:
    """Sales Navigator function(s) and seniority of a job title (offline, deterministic).

    ``"CFO"`` -> Finance, CXO; ``"Senior FP&A Manager"`` -> Finance, Experienced Manager;
    ``"Founder & CEO"`` -> Entrepreneurship, Owner / Partner; ``"Team Lead, Customer Support"``
    -> Customer Success and Support, Entry Level Manager. Empty text -> no function, None.
    """
    f = title_features(title or "")
    if not f.norm:
        return TitleClass((), None, None, frozenset())
    sn: list[str] = []
    for fine in sorted(f.functions, key=lambda x: (x == "executive", x)):
        for s in _FINE_TO_SN.get(fine, ()):
            if s not in sn:
                sn.append(s)
    for name, pat in _SN_WORDS.items():
        if name not in sn and pat.search(f.norm):
            sn.append(name)
    tier = f.level
    norm = f.norm
    if tier is None:
        label = None
    elif tier >= 7:
        label = "Owner / Partner" if _OWNER.search(norm) else "CXO"
    elif tier == 6:
        label = "Vice President"
    elif tier == 5:
        label = "Director"
    elif tier == 4:
        label = "Entry Level Manager" if _ENTRY_MANAGER.search(norm) else "Experienced Manager"
    elif tier == 3:
        label = "Strategic" if _STRATEGIC.search(norm) else "Senior"
    elif tier == 0:
        label = "In Training"
    elif tier == 2 and _STRATEGIC.search(norm):
        label = "Strategic"
    else:
        label = "Entry Level"
    return TitleClass(tuple(sn[:3]), label, tier, f.functions)


def canonical_function(name: str | None) -> str | None:
    """The :data:`FUNCTIONS` label matching ``name`` case-insensitively ("finance" -> "Finance",
    "IT" -> "Information Technology", "HR" -> "Human Resources"), else None."""
    if not name:
        return None
    n = re.sub(r"\s+", " ", str(name)).strip().lower().replace("&", "and")
    alias = {"it": "Information Technology", "hr": "Human Resources", "design": "Arts and Design",
             "customer success": "Customer Success and Support", "support": "Customer Success and Support",
             "product": "Product Management", "project management": "Program and Project Management",
             "procurement": "Purchasing", "qa": "Quality Assurance", "bd": "Business Development",
             "media": "Media and Communication", "communications": "Media and Communication",
             "healthcare": "Healthcare Services"}
    if n in alias:
        return alias[n]
    for f in FUNCTIONS:
        if f.lower() == n:
            return f
    return None


def canonical_seniority(name: str | None) -> str | None:
    """The :data:`SENIORITIES` label matching ``name`` ("vp" -> "Vice President", "owner" /
    "partner" -> "Owner / Partner", "c-level" -> "CXO", "manager" -> "Experienced Manager"),
    else None."""
    if not name:
        return None
    n = re.sub(r"[\s/_-]+", " ", str(name)).strip().lower()
    alias = {"vp": "Vice President", "owner": "Owner / Partner", "partner": "Owner / Partner",
             "owner partner": "Owner / Partner", "c level": "CXO", "cxo": "CXO", "c suite": "CXO",
             "manager": "Experienced Manager", "entry": "Entry Level", "training": "In Training",
             "intern": "In Training", "director": "Director", "senior": "Senior"}
    if n in alias:
        return alias[n]
    for s in SENIORITIES:
        if re.sub(r"[\s/_-]+", " ", s).lower() == n:
            return s
    return None


@dataclass(frozen=True)
class IcpTargets:
    """What function and seniority an ICP targets.

    ``functions`` / ``seniorities``: Sales Navigator labels; ``fine``: lexicon functions the
    scorer compares; ``tiers``: 0-7 tiers of the levels; ``explicit``: True when they come from
    the ICP's own ``functions`` / ``seniorities`` fields (pickers), False when implied by titles.
    """

    functions: tuple[str, ...]
    seniorities: tuple[str, ...]
    fine: frozenset[str]
    tiers: frozenset[int]
    explicit_functions: bool
    explicit_seniorities: bool


def icp_targets(titles: Iterable[str], functions: Iterable[str] = (), seniorities: Iterable[str] = ()
                ) -> IcpTargets:
    """The ICP's functions and levels: the picked ones when given, else those its titles imply.

    ``titles``: the ICP's free target titles (group phrases are expanded by the caller or not);
    ``functions`` / ``seniorities``: picker values (unknown labels are ignored).
    """
    fx = [f for f in (canonical_function(x) for x in functions) if f]
    sx = [s for s in (canonical_seniority(x) for x in seniorities) if s]
    classes = [classify_title(t) for t in titles if normalize_title(t)]
    if fx:
        fns = tuple(dict.fromkeys(fx))
        fine = frozenset().union(*(SN_TO_FINE.get(f, frozenset()) for f in fns)) | frozenset(
            "_sn:" + f for f in fns)
    else:
        fns = tuple(dict.fromkeys(f for c in classes for f in c.functions))
        fine = frozenset().union(*(c.fine for c in classes)) if classes else frozenset()
    if sx:
        sens = tuple(dict.fromkeys(sx))
        tiers = frozenset(SENIORITY_TIER[s] for s in sens)
    else:
        sens = tuple(dict.fromkeys(c.seniority for c in classes if c.seniority))
        tiers = frozenset(c.tier for c in classes if c.tier is not None)
    return IcpTargets(fns, sens, fine, tiers, bool(fx), bool(sx))


def lead_fine_functions(title: str) -> frozenset[str]:
    """Lexicon functions of a lead title plus ``"_sn:<function>"`` markers for its Sales
    Navigator functions (so an ICP picked by Sales Navigator function matches either)."""
    c = classify_title(title)
    return c.fine | frozenset("_sn:" + f for f in c.functions)
