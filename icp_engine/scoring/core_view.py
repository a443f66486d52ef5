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
* :func:`prepare_targets` / :func:`lead_views` / :func:`core_features` - the view's features
  for the title model (:data:`CORE_FEATURES`, ``kvar`` and ``kcen``: the whole-title ``cvar`` and
  ``ccen`` with the core texts of both sides), fitted tied with ``cvar`` / ``ccen`` (one weight
  for the four, ``benchmarks/fit_title_model.py --tie cvar,ccen,kvar,kcen``).
* :func:`prepare_fused` / :func:`lead_views_for` - what the scorer uses since 3.6: the same
  features in the two-view space of :mod:`icp_engine.scoring.layers` (:class:`FusedViews`: the
  ``[CLS]`` vector and the mean-pooled last layer side by side, so a dot product is the mean of
  the two cosines), tied with ``lvar`` / ``lcen`` (``--tie lvar,lcen,kvar,kcen``). Leave-one-
  track-out through the whole scorer, test nDCG@10 onet / esco_jobbert / groups: 3.5.0 0.810 /
  0.891 / 0.685; the two-view cosine alone 0.816 / 0.899 / 0.692; with the core view tied with
  ``cvar`` / ``ccen`` (not fused) 0.816 / 0.900 / 0.688; **fused 0.813 / 0.904 / 0.690**; dev
  0.792 / 0.888 / 0.624, 0.794 / 0.896 / 0.629, 0.803 / 0.893 / 0.632, **0.802 / 0.897 / 0.631**
  (fused: the largest smallest gain and the largest sum over the six). In the fused space 93 of
  the 3,846 texts a 10,000-lead page sends to the model are core texts.

Only titles whose whole-title ``cvar`` reaches :data:`CORE_GATE` get the view (below it the
whole-title cosines stand in, ``kvar = cvar``, ``kcen = ccen``), and of those only titles whose
core differs from their normalised text need a second forward pass: the top of a ranking is
decided above the gate (raw leave-one-track-out nDCG@10 the same with the gate at 0.55 - 0.70),
and ~18 % of the titles whose core differs reach it on the benchmark pool. Per text and ICP, so
batch-invariant.

Tried (raw leave-one-track-out test nDCG@10 onet / esco_jobbert / groups, base 0.811 / 0.874 /
0.675, dev 0.790 / 0.868 / 0.622; whole scorer base test 0.810 / 0.891 / 0.685, dev 0.792 / 0.888 /
0.624): core(lead) vs the full targets tied with ``ccen`` in place of ``cvar`` - raw 0.812 / 0.884 /
0.677, dev 0.793 / 0.871 / 0.626, but whole scorer dev 0.801 / 0.888 / 0.627 and test 0.811 / 0.895
/ 0.685 (groups flat); the same added to the cvar / ccen mean: whole scorer dev esco 0.884; core
features as separate (untied) weights: esco down (e.g. ``kvar`` alone 0.862); the specialism
only (role noun dropped too): raw 0.806 / 0.881 / 0.669. Before "assistant" / "associate" were
kept after a specialism and a core without a specialism fell back to the whole title, every
variant lost esco_jobbert on dev ("HR Assistant / Officer" read as "HR Officer", "Principal
Consultant" as "Consultant").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Sequence

import numpy as np

from .title_match import ROLE_WORDS
from .titles import normalize_title

__all__ = ["CORE_FEATURES", "CORE_GATE", "CoreTargets", "FusedViews", "LEVEL_WORDS", "core_features", "core_text",
           "lead_views", "lead_views_for", "prepare_fused", "prepare_targets"]

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

#: Role nouns: a core made only of these (and :data:`title_match.ROLE_WORDS`) has no specialism.
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
    dropped. When no specialism is left (only role nouns, :data:`ROLE_NOUNS` and
    :data:`title_match.ROLE_WORDS`) the normalised title is returned (``"Principal Consultant"``
    -> ``"principal consultant"``, ``"Head"`` -> ``"head"``)."""
    norm = normalize_title(title)
    if not norm:
        return ""
    t = _HEAD_OF.sub(" ", _VP.sub(" ", norm))
    words = [w for w in t.split() if w not in _FILLER and not _NUMERAL.match(w) and re.search(r"[a-z0-9]", w)
             and w not in DROP_WORDS]
    last = len(words) - 1
    keep = [w for i, w in enumerate(words)
            if not ((w in KEEP_LAST_WORDS and i != last) or (w in FIRST_ONLY_WORDS and i == 0 and last > 0))]
    # a core without a specialism ("principal consultant" -> "consultant") has lost what set the
    # title apart: the normalised title stays (so does an empty core)
    if not any(w not in ROLE_NOUNS and w not in ROLE_WORDS and w not in LEVEL_WORDS for w in keep):
        return norm
    return " ".join(keep)


# ------------------------------------------------------------------------------------------
# Features of the core view for the title model (:mod:`title_model`)
# ------------------------------------------------------------------------------------------
#: Feature names, appended to :data:`title_model.FEATURES`: ``kvar`` max cosine of core(lead) to
#: core(target titles and their expansions); ``kcen`` cosine of core(lead) to the normalised mean
#: of core(target titles). Each in [-1, 1].
CORE_FEATURES: tuple[str, ...] = ("kvar", "kcen")

#: Whole-title ``cvar`` from which a lead title gets the core view (below: ``kvar = cvar``,
#: ``kcen = ccen``). Raw leave-one-track-out test nDCG@10 onet / esco_jobbert / groups with the
#: four cosines tied: no gate 0.812 / 0.878 / 0.682, gate 0.60 0.812 / 0.878 / 0.682, 0.65 0.812 /
#: 0.878 / 0.682, 0.70 0.811 / 0.878 / 0.683; share of the pool's titles whose core differs that
#: need a second pass: 1.00 / 0.40 / 0.18 / 0.07.
CORE_GATE = 0.65


@dataclass
class CoreTargets:
    """ICP side of the core view: unit vectors ``(n, d)`` of core(targets and expansions) ``V``
    and the normalised mean ``cen`` ``(d,)`` of core(targets)."""

    V: np.ndarray
    cen: np.ndarray
    embedder: Any = None  # the two-view embedder (FusedViews) when the core view is fused
    gate_V: np.ndarray | None = None  # whole-title expansion vectors in the same space, for the gate


class FusedViews:
    """Two embedders as one: ``embed(texts)`` is ``(n, d1 + d2)`` float32, the two unit vectors
    side by side divided by sqrt(2), so a dot product of two fused rows is the mean of the two
    views' cosines (the ``lvar`` / ``lcen`` cosine of :mod:`layers`). Per text: batch-invariant."""

    def __init__(self, first: Any, second: Any):
        self.first, self.second = first, second
        self.dim = int(first.dim) + int(second.dim)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        a = np.asarray(self.first.embed(list(texts)), dtype=np.float32)
        b = np.asarray(self.second.embed(list(texts)), dtype=np.float32)
        return (np.hstack([a, b]) / np.float32(np.sqrt(2.0))).astype(np.float32)


def prepare_fused(backbone: Any, view: Any, targets: Sequence[str], variants: Sequence[str]) -> CoreTargets:
    """:class:`CoreTargets` in the fused two-view space (:class:`FusedViews` of the title
    backbone and the mean-pooled view ``view``) for raw ``targets`` and expansions ``variants``."""
    fz = FusedViews(backbone, view)
    T = fz.embed([normalize_title(t) for t in targets]) if len(targets) else np.zeros((0, fz.dim), np.float32)
    V = fz.embed([normalize_title(v) for v in variants]) if len(variants) else T
    ct = prepare_targets(fz, targets, variants, T, V)
    ct.embedder, ct.gate_V = fz, V
    return ct


def lead_views_for(backbone: Any, titles: Sequence[str], C: np.ndarray, ts: Any) -> dict[str, np.ndarray]:
    """:func:`lead_views` for a title model target set ``ts``: in the fused space when
    ``ts.core`` was made by :func:`prepare_fused`, else on the backbone's vectors ``C``."""
    ct = getattr(ts, "core", None)
    if ct is not None and ct.embedder is not None and ct.gate_V is not None:
        Cf = ct.embedder.embed([normalize_title(t) for t in titles]) if len(titles) else np.zeros((0, ct.embedder.dim), np.float32)
        out = lead_views(ct.embedder, titles, Cf, ct.gate_V)
        out["fused"] = np.ones(1, dtype=bool)
        return out
    return lead_views(backbone, titles, C, ts.V)


def _unit_mean(M: np.ndarray) -> np.ndarray:
    c = M.mean(axis=0)
    n = float(np.linalg.norm(c))
    return (c / n if n > 0 else c).astype(np.float32)


def _embed_cores(backbone: Any, titles: Sequence[str], full: np.ndarray) -> np.ndarray:
    """``(len(titles), d)`` unit vectors of core(titles): rows of ``full`` (the vectors of the
    normalised titles) where the core is the normalised title, else embedded by ``backbone``."""
    M = np.array(full, dtype=np.float32, copy=True)
    cores = [core_text(t) for t in titles]
    need = [k for k, t in enumerate(titles) if cores[k] != normalize_title(t)]
    if need:
        order = list(dict.fromkeys(cores[k] for k in need))
        vecs = np.asarray(backbone.embed(order), dtype=np.float32)
        pos = {s: i for i, s in enumerate(order)}
        M[need] = vecs[[pos[cores[k]] for k in need]]
    return M


def prepare_targets(backbone: Any, targets: Sequence[str], variants: Sequence[str],
                    T: np.ndarray, V: np.ndarray) -> CoreTargets:
    """:class:`CoreTargets` of an ICP: raw ``targets`` with their vectors ``T`` ``(n_t, d)`` and
    expansions ``variants`` (targets included) with ``V`` ``(n_v, d)`` (the title model's rows,
    vectors of the normalised texts). ``backbone``: ``embed(texts) -> (n, d)`` unit vectors."""
    if not len(targets):
        d = T.shape[1] if T.ndim == 2 else 384
        return CoreTargets(np.zeros((0, d), np.float32), np.zeros(d, np.float32))
    Tk = _embed_cores(backbone, targets, T)
    Vk = _embed_cores(backbone, variants, V) if len(variants) else Tk
    return CoreTargets(Vk, _unit_mean(Tk))


def lead_views(backbone: Any, titles: Sequence[str], C: np.ndarray, V: np.ndarray) -> dict[str, np.ndarray]:
    """The lead side: ``{"K": (n, d) core vectors, "mask": (n,) bool}`` for raw ``titles`` with
    whole-title unit vectors ``C`` ``(n, d)``, against the ICP's expansion vectors ``V``
    ``(n_v, d)``. ``mask``: whole-title ``cvar >= CORE_GATE``; only those rows whose core differs
    are embedded (the others keep their ``C`` row). Per text, so batch-invariant."""
    n = len(titles)
    if n == 0 or not len(V):
        return {"K": np.array(C, dtype=np.float32), "mask": np.zeros(n, dtype=bool)}
    mask = (C @ V.T).max(axis=1) >= CORE_GATE
    K = np.array(C, dtype=np.float32, copy=True)
    idx = np.flatnonzero(mask)
    if len(idx):
        K[idx] = _embed_cores(backbone, [titles[int(k)] for k in idx], C[idx])
    return {"K": K, "mask": mask}


def core_features(views: dict[str, np.ndarray], ct: CoreTargets, cvar: np.ndarray,
                  ccen: np.ndarray) -> np.ndarray:
    """``(n, 2)`` float64: ``kvar``, ``kcen`` of the lead views (:func:`lead_views`) against the
    ICP side ``ct``; rows outside the gate get the whole-title ``cvar`` / ``ccen`` ``(n,)``."""
    K, mask = views["K"], views["mask"]
    X = np.column_stack([np.asarray(cvar, np.float64), np.asarray(ccen, np.float64)])
    if len(K) and len(ct.V) and mask.any():
        X[mask, 0] = (K[mask] @ ct.V.T).max(axis=1)
        X[mask, 1] = K[mask] @ ct.cen
    return X
