"""Text templates around job titles before the title backbone embeds them (issue 9).

bge-small embeds a bare job title ("treasury analyst") as a fragment; a short frame ("a
treasury analyst") reads as a noun phrase about a person. A template is applied to *every* text
the title backbone embeds - target titles and their expansions, lead titles, core-role texts
(:mod:`core_view`) and the background titles of the ``hub`` centroid (:mod:`lexical`) - so both
sides of each cosine live in the same space (an ICP-side-only template lowered onet left out on
every variant tried, see ``benchmarks/bench_prompts.py``).

:class:`TitleTemplate` holds the template text (``{}`` = the normalised title) and the pooling of
the second view (:mod:`layers`): ``"all"`` mean-pools every word piece of the templated text,
``"title"`` only the title's own word pieces (the template tokens give context, the pooled view
stays the title's). ``[CLS]`` is always the templated text's.

:func:`active` is the template in use: ``ICP_TITLE_TEMPLATE`` (``name`` or ``name/title``, a key
of :data:`TEMPLATES`), default :data:`DEFAULT` (``"a/title"`` since scorer 3.7.0; ``ICP_TITLE_TEMPLATE=bare`` gives
3.6's bare titles, with their own weights in :data:`FITTED` and a tagged version). Vectors are cached in Postgres
under model names that carry :meth:`TitleTemplate.suffix`, so bare and templated vectors never mix;
the ``hub`` centroid has a file per template (:func:`lexical.centroid_path`), the title model's
weights per template are in :data:`FITTED`, and the scorer's version carries :func:`version_tag`.

Measured (Dec 2, scorer 3.6.0, load 2-10 with two other helpers; leave-one-track-out nDCG@10 onet
/ esco_jobbert / groups, ``ICP_TITLE_TEMPLATE=<spec> python benchmarks/fit_title_model.py
[--pipeline [--pipeline-split dev]]``). Bare: raw test 0.811 / 0.876 / 0.680; whole scorer test
0.813 / 0.904 / 0.690, dev 0.802 / 0.897 / 0.631. Raw test per template: ``a`` 0.816 / 0.883 /
0.687, ``a/title`` 0.817 / 0.881 / 0.688, ``a0`` 0.806 / 0.885 / 0.686, ``a0/title`` 0.814 / 0.885 /
0.694, ``dot`` 0.803 / 0.877 / 0.676, ``dot/title`` 0.806 / 0.882 / 0.675, ``the/title`` 0.813 /
0.886 / 0.680, ``asa/title`` 0.811 / 0.873 / 0.679, ``iwork/title`` 0.815 / 0.879 / 0.686. Whole
scorer test | dev: ``a/title`` 0.817 / 0.903 / 0.691 | 0.807 / 0.899 / 0.648 (AUC test 0.966 /
0.931 / 0.901); ``a`` 0.816 / 0.909 / 0.690 | 0.802 / 0.902 / 0.647; ``a0/title`` (the ``[SEP]``
dropped: no extra token) 0.811 / 0.906 / 0.693 | 0.797 / 0.881 / 0.645 (dev esco -0.016: not
kept). ``a/title`` refitted on all three dev tracks (:data:`FITTED`), ``bench_matching.py`` test
nDCG / P@10 / AUC: onet 0.823 / 0.725 / 0.966, esco_jobbert 0.908 / 0.881 / 0.934, groups 0.691 /
0.645 / 0.902 (bare 0.821 / 0.719 / 0.962, 0.908 / 0.881 / 0.933, 0.697 / 0.647 / 0.897); dev
0.808 / 0.902 / 0.653; calibration test >= 80: 270, 89.3 % rel 2, < 40: 1.15 % (dev 89.5 % /
1.11 %); follower pages title-only 0.915 / 0.924, with industries and sizes 0.818 / 0.945; the
shared-sample finance checks pass. Cost: a 10k page sends 3,846 texts (25,004 word pieces) to
the model bare, 3,874 (29,013, +16 %: one token per text plus 28 more core texts passing the gate)
under ``a/title``; ``bench_scoring_speed.py --sizes 10000`` process CPU +0.5-0.6 s (~+10 %),
in-process 10k +0.5-0.65 s wall (8 interleaved pairs against main, load 2.8-4.7: CPU 5.38 vs 6.02 s
mean in the quietest three); CLI first run (``bench_e2e.py --cli 10000 --repeat 1``, new data
folder, 3 pairs, load 4.5-7) CPU user+sys 12.18 vs 13.05 s mean (+0.9 s; wall unusable at that
load). About +20 % of the model's time. Shipped as the default in scorer 3.7.0 (the lead, Dec 2: CLI
first run on a 10k page, ``farm-bench -n 6`` paired, load ~1: 13.14 vs 12.81 s bare, wall ratio
1.033, still 0.75-0.78 x scorer 2.1's first run).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["DEFAULT", "FITTED", "TEMPLATES", "TitleTemplate", "active", "fitted_weights", "parse", "version_tag"]

#: name -> template text (``{}`` = the normalised title), cheapest first (extra word pieces per
#: text: 1, 1, 1, 2, 2, 4).
TEMPLATES: dict[str, str] = {
    "bare": "{}",
    "a": "a {}",
    "dot": "{}.",
    "the": "the {}",
    "asa": "as a {}",
    "job": "job: {}",
    "iwork": "i work as a {}",
}

#: The shipped default (``ICP_TITLE_TEMPLATE`` unset).
DEFAULT = "a/title"


@dataclass(frozen=True)
class TitleTemplate:
    """A template ``text`` (one ``{}``) named ``name``, with the mean-pooled view's ``pool``
    (``"all"`` or ``"title"``)."""

    name: str
    text: str
    pool: str = "all"
    drop_sep: bool = False  # the closing [SEP] left out: a one-token template at bare length

    @property
    def spec(self) -> str:
        """The :func:`parse` form: ``"a/title"``, ``"a0"``, ``"bare"``."""
        return self.name + ("0" if self.drop_sep else "") + ("/title" if self.pool == "title" else "")

    @property
    def bare(self) -> bool:
        """True for the identity template (``"{}"``, pooling irrelevant)."""
        return self.text == "{}"

    def apply(self, title: str) -> str:
        """``title`` inside the template (blank stays blank)."""
        return self.text.format(title) if title and title.strip() and not self.bare else title

    def suffix(self) -> str:
        """Model-name suffix for caches: ``""`` for bare, else ``"+t-<name>"`` (``"-tp"`` added with
        title pooling)."""
        if self.bare:
            return ""
        return f"+t-{self.name}" + ("0" if self.drop_sep else "") + ("-tp" if self.pool == "title" else "")

    def span(self, tokenizer: Any) -> tuple[int, int]:
        """``(p, s)``: word pieces the template adds before / after the title (special tokens
        excluded), for a ``tokenizers.Tokenizer`` that wraps a text in ``[CLS] ... [SEP]``. The
        BERT pre-tokenizer splits on whitespace and punctuation, so the counts do not depend on
        the title."""
        pre, _, post = self.text.partition("{}")
        p = len(tokenizer.encode(pre.strip()).ids) - 2 if pre.strip() else 0
        s = len(tokenizer.encode(post.strip()).ids) - 2 if post.strip() else 0
        return p, s


def parse(spec: str) -> TitleTemplate:
    """``"a"`` / ``"a/title"`` / ``"a0"`` (``[SEP]`` dropped) -> :class:`TitleTemplate`. Raises ValueError for an unknown name or pooling."""
    name, _, pool = (spec or DEFAULT).strip().partition("/")
    drop = name.endswith("0") and name[:-1] in TEMPLATES
    name = name[:-1] if drop else name
    if name not in TEMPLATES:
        raise ValueError(f"unknown title template {name!r} (known: {', '.join(TEMPLATES)})")
    pool = pool or "all"
    if pool not in ("all", "title"):
        raise ValueError(f"unknown pooling {pool!r} (all or title)")
    return TitleTemplate(name, TEMPLATES[name], pool, drop)


def active() -> TitleTemplate:
    """The template in use: ``Settings.icp_title_template`` (``ICP_TITLE_TEMPLATE`` in the
    environment, ``.env`` or secrets) or :data:`DEFAULT`. Raises ``ValueError`` for an unknown one."""
    from ..config import Settings

    return parse(Settings().icp_title_template or DEFAULT)


#: Title-model weights fitted under a template other than :data:`DEFAULT` (``"bare"``: scorer 3.6.0's) (``spec`` ->
#: ``(WEIGHTS, INTERCEPT)`` in :data:`title_model.FEATURES` order), written by
#: ``benchmarks/fit_title_model.py --write`` run with ``ICP_TITLE_TEMPLATE`` set; the scorer uses
#: them when that template is active (:func:`fitted_weights`).
# BEGIN FITTED TEMPLATE WEIGHTS
FITTED: dict[str, tuple[tuple[float, ...], float]] = {
    'bare': ((0.000, 0.000, 0.000, 1.575, -2.584, 1.108, -6.994, 3.126, 3.126, 3.126, 3.126), -6.260),
}
# END FITTED TEMPLATE WEIGHTS


def fitted_weights(weights: tuple[float, ...], intercept: float) -> tuple[tuple[float, ...], float]:
    """The title model's ``(weights, intercept)`` for the active template: :data:`FITTED` when it
    has the active template's entry, else the shipped ``weights`` / ``intercept`` (fitted under
    :data:`DEFAULT`)."""
    got = FITTED.get(active().spec)
    return (tuple(got[0]), float(got[1])) if got is not None and active().spec != parse(DEFAULT).spec else (weights, intercept)


def version_tag() -> str:
    """Suffix of the scorer version for the active template: ``""`` under :data:`DEFAULT`, else
    ``"+t-<spec>"`` (``"+t-bare"`` for bare titles when the default is a template), so scores
    made under different templates never share a version."""
    t = active()
    return "" if t.spec == parse(DEFAULT).spec else f"+t-{t.spec}"
