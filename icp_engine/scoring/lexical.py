"""Lexical and hubness views of a job title, for the title model (:mod:`title_model`).

* :func:`char_ngrams` / :func:`ngram_similarity` - character n-gram overlap (binary cosine of the
  sets of 3- and 4-grams of the normalised title, words padded with a space) between a lead title
  and the ICP's targets and expansions, max over targets, in [0, 1]. It sees what word overlap and
  the embedding miss on noisy job-board strings: inflections ("accountant" / "accounting"),
  typos, glued words.
* :func:`generic_cosine` - the title model's ``hub`` feature: the cosine of the lead title to the
  centroid of the background titles below (shipped as :data:`CENTROID_FILE`).
* :func:`background_titles` / :func:`hubness` - a CSLS-style hubness term (Conneau et al. 2018,
  "Word translation without parallel data", ICLR): ``r(c)`` = mean of the ``k`` largest cosines of
  the lead title's vector to a FIXED background set of diverse titles. Generic titles
  ("Manager", "Specialist") sit close to everything and get a high ``r``. The background is
  generated from the package's own vocabularies (Sales Navigator functions of
  :mod:`functions` x role nouns of :data:`titles.ROLE_KINDS`), never from a batch or a benchmark,
  so the term is computed per text and batch-invariant by construction.

Nothing here names a benchmark title.
"""

from __future__ import annotations

import math
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .functions import FUNCTIONS as SN_FUNCTIONS
from .titles import ROLE_KINDS, normalize_title

__all__ = ["background_titles", "background_vectors", "char_ngrams", "compute_generic_centroid", "generic_centroid",
           "generic_cosine", "hubness", "ngram_similarity", "write_generic_centroid"]


@lru_cache(maxsize=200_000)
def char_ngrams(title: str, sizes: tuple[int, ...] = (3, 4)) -> frozenset[str]:
    """Set of character n-grams of the normalised title (:func:`titles.normalize_title`).

    Each word is padded with one space on each side (``" cfo "``) so word starts and ends are
    grams of their own; n-grams do not span words. Empty title -> empty set.
    ``"Accountant"`` with ``sizes=(3,)`` -> ``{" ac", "acc", "cco", ..., "nt "}``.
    """
    norm = normalize_title(title)
    out: set[str] = set()
    for w in norm.split():
        w = "".join(ch for ch in w if ch.isalnum() or ch in "&+#")
        if not w:
            continue
        p = f" {w} "
        for n in sizes:
            out.update(p[i:i + n] for i in range(max(len(p) - n + 1, 1)))
    return frozenset(out)


def ngram_similarity(title: str, target_grams: Sequence[frozenset[str]], sizes: tuple[int, ...] = (3, 4)) -> float:
    """Max over ``target_grams`` (n-gram sets of the ICP's targets and expansions, from
    :func:`char_ngrams`) of the binary cosine ``|A & B| / sqrt(|A| |B|)``, in [0, 1].

    0 when the title or every target has no n-gram."""
    a = char_ngrams(title, sizes)
    if not a:
        return 0.0
    best = 0.0
    for b in target_grams:
        if b:
            best = max(best, len(a & b) / math.sqrt(len(a) * len(b)))
    return best


#: Role nouns of the background titles: the lexicon's role words (:data:`titles.ROLE_KINDS`).
_BG_ROLES: tuple[str, ...] = tuple(dict.fromkeys(
    w for ws in ROLE_KINDS.values() for w in ws if " " not in w and w not in ("rep", "admin", "cofounder")))


@lru_cache(maxsize=1)
def background_titles() -> tuple[str, ...]:
    """The fixed background set of the hubness term: each Sales Navigator function name
    (:data:`functions.FUNCTIONS`, "Arts and Design" -> "Arts and Design") followed by each role
    noun of :data:`titles.ROLE_KINDS` ("Finance Manager", "Legal Analyst", ...), in a fixed order.
    26 functions x ~60 role nouns; deterministic, ICP- and batch-independent."""
    return tuple(f"{f} {r.capitalize()}" for f in SN_FUNCTIONS for r in _BG_ROLES)


_bg_lock = threading.Lock()
_bg_cache: dict[int, np.ndarray] = {}


def background_vectors(backbone: Any) -> np.ndarray:
    """Unit vectors ``(n_background, dim)`` float32 of :func:`background_titles` (normalised text)
    under ``backbone`` (an embedder with ``embed(texts) -> (n, dim)``), computed once per backbone
    object and kept for the process."""
    key = id(backbone)
    with _bg_lock:
        got = _bg_cache.get(key)
    if got is None:
        got = np.asarray(backbone.embed([normalize_title(t) for t in background_titles()]), dtype=np.float32)
        with _bg_lock:
            _bg_cache[key] = got
    return got


#: Shipped unit centroid of the backbone's vectors of :func:`background_titles` (float32, 384):
#: written by :func:`write_generic_centroid`; a test recomputes it from the backbone.
CENTROID_FILE = Path(__file__).with_name("generic_centroid.npy")
_centroid: list[np.ndarray] = []


def compute_generic_centroid(backbone: Any) -> np.ndarray:
    """Unit mean ``(dim,)`` float32 of :func:`background_vectors` under ``backbone`` (~2 s)."""
    m = background_vectors(backbone).astype(np.float64).mean(axis=0)
    return (m / np.linalg.norm(m)).astype(np.float32)


def centroid_path() -> Path:
    """The centroid file of the active title template (:func:`prompts.active`):
    :data:`CENTROID_FILE` for bare titles, ``generic_centroid+t-<name>.npy`` beside it otherwise."""
    from .prompts import active

    sfx = active().suffix()
    return CENTROID_FILE if not sfx else CENTROID_FILE.with_name(f"generic_centroid{sfx}.npy")


def write_generic_centroid(backbone: Any, path: Path | None = None) -> np.ndarray:
    """Compute :func:`compute_generic_centroid` and save it to ``path`` (``.npy``; default
    :func:`centroid_path`); returns it."""
    path = centroid_path() if path is None else path
    m = compute_generic_centroid(backbone)
    np.save(path, m, allow_pickle=False)
    return m


def generic_centroid() -> np.ndarray:
    """The shipped centroid of the active title template (:func:`centroid_path`), ``(384,)``
    float32 unit vector, loaded once.

    Raises FileNotFoundError when the file is missing (a broken install)."""
    if not _centroid:
        _centroid.append(_load_centroid())
    return _centroid[0]


def _load_centroid() -> np.ndarray:
    """The centroid of the active title template (:func:`centroid_path`); a template without a
    shipped file gets it computed from the backbone (~2 s, once per process)."""
    path = centroid_path()
    if path != CENTROID_FILE and not path.is_file():
        from .backbone import title_backbone

        return compute_generic_centroid(title_backbone())
    return np.load(path, allow_pickle=False).astype(np.float32)


def generic_cosine(C: np.ndarray) -> np.ndarray:
    """``hub`` feature: cosine of each row of ``C`` (``(n, 384)`` unit title vectors of the title
    backbone) to :func:`generic_centroid`, shape ``(n,)`` float64, in [-1, 1].

    The first-order hubness of a vector: points near the data mean are the nearest neighbours of
    many points (Radovanovic, Nanopoulos & Ivanovic 2010, "Hubs in space", JMLR 11). A title near
    the centroid of office job titles ("Business Specialist" 0.81, "Consultant" 0.81, "Technical
    Sales Representative" 0.79) has a high cosine to many targets, so its raw cosine overstates
    the fit; titles outside that vocabulary sit further away ("Barista" 0.68, "Founder" 0.68).
    The title model gives it a negative weight. Computed row by row in float64 (no BLAS
    blocking), so a lead's value never depends on the batch."""
    if len(C) == 0:
        return np.zeros(0)
    m = generic_centroid().astype(np.float64)
    return (np.asarray(C, dtype=np.float64) * m[None, :]).sum(axis=1)


def hubness(C: np.ndarray, B: np.ndarray, k: int = 10) -> np.ndarray:
    """CSLS hubness ``r(c)``: mean of the ``k`` largest cosines of each row of ``C`` (``(n, dim)``
    unit vectors) to the background vectors ``B`` (``(m, dim)``), shape ``(n,)``, in [-1, 1].

    Not used by the shipped model (it lifted onet and esco_jobbert but lowered the occupation-group
    track left out; ``benchmarks/explore_lexical.py``). Computed one row at a time from fixed
    ``B``: the value of a lead never depends on the batch."""
    if len(C) == 0 or len(B) == 0:
        return np.zeros(len(C))
    B64 = np.asarray(B, dtype=np.float64)
    S = np.stack([B64 @ np.asarray(c, dtype=np.float64) for c in C])  # one row at a time
    k = min(k, S.shape[1])
    top = np.partition(S, S.shape[1] - k, axis=1)[:, S.shape[1] - k:]
    return top.mean(axis=1).astype(np.float64)
