"""Title knowledge floors: titles that are the same job by construction, whatever a model says.

* :func:`equivalence_floor` - identical titles after normalisation (``"CFO"`` / ``"Chief
  Financial Officer"``): 0.97; the same content words and functions, both leaders, seniority
  within one level (``"Head of Finance"`` / ``"Finance Director"``) or the same title up to a
  qualifier (``"Group CFO"`` / ``"CFO"``): 0.85; two top executives without a functional area
  (CEO, founder, owner, managing director): 0.7.
* :func:`is_csuite_icp` / :func:`csuite_floor` - an ICP naming two or more different C-level
  roles means the C-suite: any chief officer gets at least 0.7.

:class:`TitleInfo` holds the pre-computed knowledge of one title (cached). The probability model
itself is :mod:`icp_engine.scoring.title_model`; these floors are applied on top of it (measured
on the benchmark's dev split: +0.018 nDCG@10 on onet, +0.012 on esco_jobbert, +0.002 on the
occupation-group track).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence


from .titles import TitleFeatures, title_features, tokens

#: Role and seniority words: not "content" (they say how senior, not what the job is about).
ROLE_WORDS = frozenset(
    "manager director head chief officer vice president senior junior lead leader supervisor "
    "specialist analyst assistant associate executive coordinator representative administrator "
    "consultant engineer developer principal staff deputy intern trainee owner founder cofounder "
    "co-founder partner group global regional area national international country district "
    "division department general acting interim fractional team".split()
)

def _stem(w: str) -> str:
    return w[:5] if len(w) > 5 else w


@dataclass(frozen=True)
class TitleInfo:
    """Pre-computed knowledge of one title for fast pair scoring."""

    raw: str
    feats: TitleFeatures
    stems: frozenset[str]
    stem_list: tuple[str, ...]
    content: tuple[str, ...]
    head: str


@lru_cache(maxsize=200_000)
def title_info(title: str) -> TitleInfo:
    """:class:`TitleInfo` of a raw title (cached)."""
    f = title_features(title)
    toks = tokens(f.norm)
    stems = tuple(_stem(w) for w in toks)
    content = tuple(_stem(w) for w in toks if w not in ROLE_WORDS)
    return TitleInfo(title, f, frozenset(stems), stems, content, stems[-1] if stems else "")


#: Fit floors for titles that are the same job by construction (applied after calibration).
IDENTICAL_FLOOR = 0.97
EQUIVALENT_FLOOR = 0.85
TOP_EXECUTIVE_FLOOR = 0.7
#: Floor of any "chief ... officer" when the ICP names two or more different C-level roles
#: (see :func:`is_csuite_icp`).
CSUITE_FLOOR = 0.7

_CHIEF_OFFICER = re.compile(r"\bchief (?:[a-z&-]+ ){1,3}officer\b")

#: Word forms treated as the same word by the floors (adjective -> noun).
_CANON_WORDS = {
    "financial": "finance", "operational": "operations", "operating": "operations",
    "operation": "operations", "engineering": "engineer", "resource": "resources",
    "technological": "technology", "marketer": "marketing", "cofounder": "founder",
}


#: Words that qualify a title without changing the job.
_MODIFIERS = frozenset("senior junior lead principal staff group global regional interim acting "
                       "fractional international national".split())


def _canon_tokens(norm: str) -> tuple[str, ...]:
    out = []
    for w in tokens(norm):
        w = _CANON_WORDS.get(w, w)
        if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is", "resources", "operations", "sales")):
            w = w[:-1]
        out.append(w)
    return tuple(out)


def equivalence_floor(t: TitleInfo, c: TitleInfo) -> float:
    """Minimum title fit implied by knowledge alone, in [0, 1].

    * identical titles after normalisation (``"CFO"`` / ``"Chief Financial Officer"``,
      ``"VP Finance"`` / ``"Vice President, Finance"``): 0.97;
    * the same content words (role and seniority words aside; ``financial`` = ``finance``) and
      job functions, both leadership roles (and no other role kind in the candidate), seniority
      within one level (``"Head of Finance"`` /
      ``"Finance Director"`` / ``"Director of Finance"``, ``"VP Finance"`` / ``"CFO"``), or the
      same title up to a qualifier such as senior / lead / group / interim: 0.85;
    * both top executives without a functional area (CEO, founder, owner, president, managing
      director, Geschäftsführer): 0.7;
    * else 0 (no floor: the fitted model decides).
    """
    tf, cf = t.feats, c.feats
    if not tf.norm or not cf.norm:
        return 0.0
    tt, ct = _canon_tokens(tf.norm), _canon_tokens(cf.norm)
    if tf.norm == cf.norm or sorted(tt) == sorted(ct):
        return IDENTICAL_FLOOR
    core_t = sorted(w for w in tt if w not in _MODIFIERS)
    if core_t and core_t == sorted(w for w in ct if w not in _MODIFIERS):
        return EQUIVALENT_FLOOR  # "Senior Recruiter" / "Recruiter", "Group CFO" / "CFO"
    tcont = {w for w in tt if w not in ROLE_WORDS}
    ccont = {w for w in ct if w not in ROLE_WORDS}
    if (tcont and tcont == ccont and tf.functions == cf.functions
            and "leader" in tf.roles and "leader" in cf.roles and not (cf.roles - tf.roles)
            and tf.level is not None and cf.level is not None and abs(tf.level - cf.level) <= 1):
        return EQUIVALENT_FLOOR
    if (tf.functions == cf.functions == {"executive"} and tf.level == cf.level == 7):
        return TOP_EXECUTIVE_FLOOR  # CEO / founder / owner / president / managing director
    return 0.0


def chief_officer_role(t: TitleInfo) -> str | None:
    """The ``"chief ... officer"`` phrase of a title (normalised, abbreviations expanded), or None.

    ``"CFO"`` -> ``"chief financial officer"``, ``"Group CEO"`` -> ``"chief executive officer"``,
    ``"Chief of Staff"`` / ``"Fire Chief"`` -> None.
    """
    m = _CHIEF_OFFICER.search(t.feats.norm)
    return m.group(0) if m else None


def is_csuite_icp(targets: Sequence[TitleInfo]) -> bool:
    """True when the ICP's target titles name two or more *different* C-level officers.

    Such an ICP ("CEO, COO", "CFO, CTO, CIO") describes the C-suite as a group rather than one
    function, so every other chief officer (CIO, chief innovation officer...) is a good fit too:
    the scorer then gives any ``"chief ... officer"`` title at least :data:`CSUITE_FLOOR`. An ICP
    naming a single C-level role (``"CFO"``, ``"CFO, VP Finance"``) keeps its function.
    """
    return len({r for r in (chief_officer_role(t) for t in targets) if r}) >= 2


def csuite_floor(c: TitleInfo) -> float:
    """:data:`CSUITE_FLOOR` for a chief-officer candidate title, else 0 (use with
    :func:`is_csuite_icp`)."""
    return CSUITE_FLOOR if chief_officer_role(c) else 0.0
