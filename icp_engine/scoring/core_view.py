"""The "core role" view of a title: its text without seniority, level and filler words.

A whole-title cosine mixes what the job is about with how senior it is: ``"Senior Treasury
Analyst"`` against ``"Financial Managers"`` is pulled by ``senior`` and ``analyst`` as much as by
``treasury``, while seniority has a feature of its own in the title model (``lv``). The core text
keeps the specialism and the role noun and drops the rest, using the project's own title
knowledge (:mod:`icp_engine.scoring.titles`: normalisation, seniority vocabulary, role nouns);
nothing here names a benchmark title.

* :func:`core_text` - ``"senior treasury analyst"`` -> ``"treasury analyst"``, ``"head of
  finance"`` -> ``"finance"``, ``"chief financial officer"`` unchanged,
  ``"vice president of sales"`` -> ``"sales"``, ``"software engineer ii"`` -> ``"software
  engineer"``. A title whose core would be empty keeps its normalised text.
* :func:`specialism_text` - the core without its role nouns when a specialism remains
  (``"treasury analyst"`` -> ``"treasury"``), else the core.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Sequence

import numpy as np

from .titles import normalize_title

__all__ = ["CORE_FEATURES", "CoreTargets", "LEVEL_WORDS", "core_features", "core_text", "prepare_targets",
           "specialism_text", "view_vectors"]

#: Words that say how senior or how wide a role is, not what it is about (the seniority
#: vocabulary of :data:`titles._SENIORITY_PATTERNS` and the qualifiers of
#: :data:`title_match._MODIFIERS`), in three kinds:
#: pure modifiers, dropped wherever they stand (``"Recruiter (Junior)"``);
DROP_WORDS = frozenset("senior junior sr jr mid interim acting fractional global regional international "
                       "national deputy".split())
#: modifiers that can also be the role noun, dropped unless last (``"Team Lead"``, ``"Group"``);
KEEP_LAST_WORDS = frozenset("lead principal staff group trainee graduate apprentice entry level".split())
#: level words that are a role noun after a specialism (``"HR Assistant / Officer"``, ``"Research
#: Associate"``): dropped only as the first word (``"Assistant Manager"``, ``"Associate Director"``).
FIRST_ONLY_WORDS = frozenset("assistant associate".split())
LEVEL_WORDS = DROP_WORDS | KEEP_LAST_WORDS | FIRST_ONLY_WORDS

#: Role nouns (what kind of job; the specialism is what is left without them).
ROLE_NOUNS = frozenset(
    "manager director head chief officer president supervisor lead leader specialist analyst "
    "assistant associate executive coordinator representative administrator consultant engineer "
    "developer principal partner owner founder cofounder advisor adviser officer strategist "
    "generalist technician professional worker agent clerk controller".split()
)

_FILLER = frozenset("a an the of and for in at to with on by".split())
_NUMERAL = re.compile(r"^(?:i{1,3}|iv|v|vi{0,3}|\d+|l\d+|level|grade|band|tier)$")
_HEAD_OF = re.compile(r"\bhead of\b|\bhead\b(?= \w)")
_VP = re.compile(r"\b(?:senior |executive |assistant )?vice president\b")


@lru_cache(maxsize=200_000)
def core_text(title: str) -> str:
    """Core role text of a raw title (lower-case, normalised), ``""`` for an empty title.

    Steps on :func:`titles.normalize_title`: ``"head of X"`` -> ``"X"``, ``"vice president X"``
    -> ``"X"`` (a ``"chief X officer"`` stays whole); level words (:data:`LEVEL_WORDS`)
    dropped as :data:`LEVEL_WORDS` says; numerals / grades (``"ii"``, ``"3"``, ``"level"``) and filler words
    dropped. When nothing is left the normalised title is returned (``"Senior Associate"`` ->
    ``"associate"``, ``"Head"`` -> ``"head"``)."""
    norm = normalize_title(title)
    if not norm:
        return ""
    import os
    var = os.environ.get("CORE_VARIANT", "")
    t = norm if "novp" in var else _VP.sub(" ", norm)
    t = t if "nohead" in var else _HEAD_OF.sub(" ", t)
    words = [w for w in t.split() if w not in _FILLER and not _NUMERAL.match(w) and re.search(r"[a-z0-9]", w)
             and w not in DROP_WORDS]
    last = len(words) - 1
    keep = [w for i, w in enumerate(words)
            if not ((w in KEEP_LAST_WORDS and i != last) or (w in FIRST_ONLY_WORDS and i == 0 and last > 0))]
    # a last level word left alone after modifiers ("senior associate" -> "associate") is fine;
    # an empty result falls back to the normalised title
    core = " ".join(keep).strip()
    return core or norm


@lru_cache(maxsize=200_000)
def specialism_text(title: str) -> str:
    """The core text without role nouns (:data:`ROLE_NOUNS`) when any other word remains
    (``"Senior Treasury Analyst"`` -> ``"treasury"``), else :func:`core_text`."""
    core = core_text(title)
    rest = [w for w in core.split() if w not in ROLE_NOUNS and w not in LEVEL_WORDS]
    return " ".join(rest) if rest else core


# ------------------------------------------------------------------------------------------
# Features of the core view for the title model (:mod:`title_model`)
# ------------------------------------------------------------------------------------------
#: Feature names, appended to :data:`title_model.FEATURES`:
#: ``kvar`` max cosine of core(lead) to core(target titles and expansions); ``kcen`` cosine of
#: core(lead) to the normalised mean of core(targets); ``kvf`` max cosine of core(lead) to the
#: full (normalised) targets and expansions; ``svar`` max cosine of specialism(lead) to
#: specialism(targets and expansions).
CORE_FEATURES: tuple[str, ...] = ("kvar", "kcen", "kvf", "svar", "kcf")


@dataclass
class CoreTargets:
    """ICP side of the core view: unit vectors ``(n, d)`` of core(targets) ``T``, core(targets
    and expansions) ``V``, their centroid ``cen`` ``(d,)``, specialism(targets and expansions)
    ``S``, and the full-text expansions ``Vfull`` (the title model's ``V``)."""

    T: np.ndarray
    V: np.ndarray
    cen: np.ndarray
    S: np.ndarray
    Vfull: np.ndarray
    cenfull: np.ndarray | None = None


def _unit_mean(M: np.ndarray) -> np.ndarray:
    if not len(M):
        return np.zeros(M.shape[1], dtype=np.float32)
    c = M.mean(axis=0)
    n = float(np.linalg.norm(c))
    return (c / n if n > 0 else c).astype(np.float32)


def view_vectors(backbone: Any, titles: Sequence[str], full: np.ndarray | None = None,
                 which: Sequence[str] = ("core", "spec")) -> dict[str, np.ndarray]:
    """Unit vectors ``(len(titles), d)`` float32 of each view in ``which`` (``"core"``:
    :func:`core_text`, ``"spec"``: :func:`specialism_text`) of raw ``titles``, embedded by
    ``backbone`` (an object with ``embed(texts) -> (n, d)``; the title backbone and its cache).
    ``full``: the vectors of the normalised titles, reused where a view's text equals the
    normalised title (no second forward pass for those). Per text, so batch-invariant."""
    fn = {"core": core_text, "spec": specialism_text}
    norms = [normalize_title(t) for t in titles]
    out: dict[str, np.ndarray] = {}
    for name in which:
        texts = [fn[name](t) for t in titles]
        need = [k for k, (v, n) in enumerate(zip(texts, norms)) if full is None or v != n]
        d = int(full.shape[1]) if full is not None else int(getattr(backbone, "dim", 384))
        M = np.array(full, dtype=np.float32, copy=True) if full is not None else np.zeros((len(titles), d), np.float32)
        if need:
            order = list(dict.fromkeys(texts[k] for k in need))
            vecs = np.asarray(backbone.embed(order), dtype=np.float32)
            pos = {s: i for i, s in enumerate(order)}
            M[need] = vecs[[pos[texts[k]] for k in need]]
        out[name] = M
    return out


def prepare_targets(backbone: Any, targets: Sequence[str], variants: Sequence[str],
                    Vfull: np.ndarray, cenfull: np.ndarray | None = None) -> CoreTargets:
    """:class:`CoreTargets` of an ICP's raw target titles and their expansions (``variants``;
    the title model's ``V`` rows are ``Vfull``, ``(n_variant_texts, d)``)."""
    allv = list(dict.fromkeys(list(targets) + list(variants)))
    if not targets:
        z = np.zeros((0, Vfull.shape[1] if Vfull.ndim == 2 else 384), np.float32)
        return CoreTargets(z, z, np.zeros(z.shape[1], np.float32), z, Vfull)
    tv = view_vectors(backbone, list(targets), which=("core",))["core"]
    vv = view_vectors(backbone, allv, which=("core", "spec"))
    return CoreTargets(tv, vv["core"], _unit_mean(tv), vv["spec"], Vfull, cenfull)


def core_features(views: dict[str, np.ndarray], ct: CoreTargets) -> np.ndarray:
    """``(n, len(CORE_FEATURES))`` cosines of the lead views (:func:`view_vectors`) to the ICP
    side ``ct``, each in [-1, 1]."""
    K, S = views["core"], views.get("spec", views["core"])
    n = len(K)
    X = np.zeros((n, len(CORE_FEATURES)), dtype=np.float64)
    if n == 0 or not len(ct.V):
        return X
    X[:, 0] = (K @ ct.V.T).max(axis=1)
    X[:, 1] = K @ ct.cen
    X[:, 2] = (K @ ct.Vfull.T).max(axis=1) if len(ct.Vfull) else 0.0
    X[:, 3] = (S @ ct.S.T).max(axis=1)
    if ct.cenfull is not None:
        X[:, 4] = K @ ct.cenfull
    return X
