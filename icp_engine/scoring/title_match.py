"""Title fit: one ICP target title against one lead title, as a weighted sum of features.

Features of a (target, candidate) pair, each in [0, 1]:

* ``cos`` - cosine similarity of the two *normalised* titles (abbreviations expanded, job-board
  noise removed) under the scorer's embedder;
* ``lex_content`` - share of the target's content words (not role/seniority words) found in the
  candidate (5-letter stems), ``lex_all`` - the same over all target words, ``head`` - the target's
  head noun (last word) found in the candidate, ``lex_rev`` - share of the candidate's content
  words found in the target (penalises extra qualifiers such as *Logistics* Operations Manager);
* ``func`` - share of the target's job functions (:data:`titles.FUNCTIONS`) the candidate has,
  ``func_any`` - any shared function, ``func_prec`` - share of the candidate's functions the
  target has, ``extra_func`` - the candidate has a function the target lacks;
* ``fz_tset``, ``fz_ratio``, ``fz_partial`` - character-level similarity (rapidfuzz token-set
  ratio, ratio, partial ratio / 100): robust to typos and job-board spelling;
* ``content_eq`` - same set of content words (``"Finance Director"`` / ``"Head of Finance"``),
  ``content_jacc`` - Jaccard overlap of the content words;
* ``role`` - same role kind (leader, developer, analyst...), ``level_gap`` - seniority distance
  / 7.

The weights are fitted on the benchmark's dev split only (coordinate ascent on nDCG@10 + AUC) and
shipped as constants per embedder family (:data:`WEIGHTS`). The raw score is turned into a 0-1
fit by :mod:`icp_engine.scoring.calibration`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

import numpy as np
from rapidfuzz import fuzz

from .titles import TitleFeatures, title_features, tokens

FEATURES: tuple[str, ...] = (
    "cos", "lex_content", "lex_all", "head", "func", "func_any", "role", "level_gap",
    "lex_rev", "func_prec", "extra_func", "fz_tset", "fz_ratio", "fz_partial", "content_eq",
    "content_jacc",
)

#: Role and seniority words: not "content" (they say how senior, not what the job is about).
ROLE_WORDS = frozenset(
    "manager director head chief officer vice president senior junior lead leader supervisor "
    "specialist analyst assistant associate executive coordinator representative administrator "
    "consultant engineer developer principal staff deputy intern trainee owner founder cofounder "
    "co-founder partner group global regional area national international country district "
    "division department general acting interim fractional team".split()
)

#: Fitted weights per embedder family (dev split of ../shared/bench; see module docstring).
# BEGIN FITTED WEIGHTS
WEIGHTS: dict[str, dict[str, float]] = {
    "bge": {
        "cos": 1.0, "lex_content": 0.0, "lex_all": 0.2, "head": -0.1,
        "func": 0.05, "func_any": 0.0, "role": 0.05, "level_gap": -0.1,
        "lex_rev": 0.1, "func_prec": -0.05, "extra_func": -0.1, "fz_tset": 0.0,
        "fz_ratio": 0.05, "fz_partial": 0.1, "content_eq": -0.05, "content_jacc": 0.05,
    },
    "wordllama": {
        "cos": 1.0, "lex_content": 0.2, "lex_all": 0.8, "head": 0.05,
        "func": 0.8, "func_any": -0.05, "role": 0.2, "level_gap": -0.3,
        "lex_rev": 0.2, "func_prec": -0.2, "extra_func": -0.2, "fz_tset": -0.1,
        "fz_ratio": -0.2, "fz_partial": 0.5, "content_eq": -0.05, "content_jacc": 0.0,
    },
}
# END FITTED WEIGHTS


def embedder_family(name: str) -> str:
    """Weight family for an embedder name: ``"bge"``, ``"wordllama"`` (default for others)."""
    n = (name or "").lower()
    if "bge" in n or "text-embedding" in n or "openai" in n:
        return "bge"
    return "wordllama"


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


def pair_features(t: TitleInfo, c: TitleInfo, cos: float) -> np.ndarray:
    """Feature vector (order of :data:`FEATURES`) of target ``t`` vs candidate ``c``."""
    tf, cf = t.feats, c.feats
    cst = c.stems
    lex_c = sum(s in cst for s in t.content) / len(t.content) if t.content else 0.0
    lex_all = sum(s in cst for s in t.stem_list) / len(t.stem_list) if t.stem_list else 0.0
    head = 1.0 if t.head and t.head in cst else 0.0
    shared = len(tf.functions & cf.functions)
    func = shared / len(tf.functions) if tf.functions else 0.0
    func_any = 1.0 if shared else 0.0
    role = 1.0 if tf.roles & cf.roles else 0.0
    gap = abs(tf.level - cf.level) / 7.0 if tf.level is not None and cf.level is not None else 0.0
    lex_rev = sum(s in t.stems for s in c.content) / len(c.content) if c.content else 0.0
    func_prec = shared / len(cf.functions) if cf.functions else 0.0
    extra = 1.0 if cf.functions - tf.functions else 0.0
    a, b = tf.norm, cf.norm
    tcs, ccs = set(t.content), set(c.content)
    union = tcs | ccs
    jacc = len(tcs & ccs) / len(union) if union else 0.0
    eq = 1.0 if tcs and tcs == ccs else 0.0
    return np.array([cos, lex_c, lex_all, head, func, func_any, role, gap, lex_rev, func_prec, extra,
                     fuzz.token_set_ratio(a, b) / 100.0, fuzz.ratio(a, b) / 100.0,
                     fuzz.partial_ratio(a, b) / 100.0, eq, jacc],
                    dtype=np.float32)


def weight_vector(family: str) -> np.ndarray:
    """Weights of :data:`WEIGHTS` ``[family]`` in :data:`FEATURES` order."""
    w = WEIGHTS.get(family) or WEIGHTS["wordllama"]
    return np.array([w.get(k, 0.0) for k in FEATURES], dtype=np.float32)


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
