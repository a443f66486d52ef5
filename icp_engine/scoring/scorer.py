"""The scorer: field-aware, calibrated, absolute 0-100 ``icp_score`` with one-line reasoning.

Stage 1 (always): every ICP criterion is scored separately and combined
(:func:`icp_engine.scoring.calibration.combine`):

* **title** - each target title against each current title and the titles parsed from the
  headline (:func:`titles.parse_headline`); the best pair wins. Pair score = weighted features
  (embedding cosine of abbreviation-expanded titles, word overlap, job function, role kind,
  seniority gap; :mod:`title_match`), calibrated to a 0-1 fit. **Seniority** is part of the
  title fit and shown on its own in the reasoning/components. An ICP naming two or more
  different C-level roles ("CEO, COO") means the C-suite: every "chief ... officer" then gets
  at least :data:`title_match.CSUITE_FLOOR` (:func:`title_match.is_csuite_icp`).
* **industry** - LinkedIn V2 hierarchy (:mod:`industry`), legacy V1 names mapped.
* **size** - size bands with adjacent-band credit; named sizes map onto bands (:mod:`sizes`).
* **keywords** - found in headline, titles, summary, skills, company, industry.
* **location** - optional; substring / country-alias match.
* **company type** - optional (ICP ``company_types``): the lead's company type from size band,
  industry and words (:func:`lead_company_type`), neighbouring stages get half credit.
* **exclusions** - ICP ``exclusions`` (e.g. "student", "recruiter", a competitor's name) and,
  unless the ICP targets them, students, retirees, recruiters and "open to work" people without
  a current position are strong negatives: they score below 1 (``fit x 0.9``), every other lead
  at least 1, so they always land at the bottom.

Missing data is *unknown*, not a mismatch (see :func:`calibration.combine`).

Stage 2 (optional): a :class:`icp_engine.rerank.Reranker` re-scores the top ``rerank_top_n``
leads of stage 1 (excluded leads never). Its outputs are used as ranks: each lead's fit moves by
at most ``RERANK_WEIGHT / 2`` up (reranker's first) or down (its last), so the reranker reorders
close calls without changing what a score means. ``components["rerank"]`` shows the output as a
0-1 value (kept when already in [0, 1], else through a logistic), ``rerank_rank`` the rank.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from ..domain import ICP, Profile, ScoreResult, bucket_for
from ..taxonomy import canonical_company_type, canonical_industry
from . import calibration as cal
from .industry import industry_fit
from .sizes import lead_band, size_fit, target_bands
from .title_match import (
    csuite_floor,
    embedder_family,
    equivalence_floor,
    is_csuite_icp,
    pair_features,
    title_info,
    weight_vector,
)
from .titles import (
    SENIORITY_LEVELS,
    detect_status,
    normalize_title,
    parse_headline,
    split_roles,
    strip_accents,
)

#: Version of the scoring logic and constants; stored with every qualification.
SCORER_VERSION = "2.1.0"

#: With several target titles, the raw title score mixes the best pair with the mean over the
#: targets (the ICP's titles together say which job is meant): ``(1-w) * max + w * mean``.
#: Fitted on the benchmark's dev split together with the pair weights.
TARGET_MEAN_WEIGHT = 0.3
#: The mean is taken over the best ``TARGET_MEAN_TOP`` targets, so a long target list does not
#: drown every lead.
TARGET_MEAN_TOP = 3

#: Raw-score penalty by evidence source: a whole, unparsed headline; one role of a combined
#: title ("President & CEO" -> "CEO"; knowledge floors still apply to the part).
SOURCE_PENALTY: dict[str, float] = {"headline-text": 0.1, "title-part": 0.05, "headline-part": 0.05}

#: Reranking nudges the stage-1 fit of each top-N lead by ``RERANK_WEIGHT * (rank - 0.5)``,
#: ``rank`` in [0, 1] being the lead's place in the reranker's order (1 = first): at most
#: +-0.05 (5 points) with 0.1. Cross-encoder outputs are not probabilities (the local model's
#: logits for ICP/profile pairs are mostly negative), so they only reorder close calls, they
#: never set the level. 0.1 was the best weight on the benchmark's dev split (0.2 and 0.3 cost
#: AUC and calibration there).
RERANK_WEIGHT = 0.1

#: Excluded leads (ICP exclusions, and students / retirees / recruiters / open-to-work people
#: unless the ICP targets them) score in [0, EXCLUDED_MAX]; every other lead scores at least
#: MIN_SCORE, so excluded leads always sit at the bottom.
EXCLUDED_MAX = 0.9
MIN_SCORE = 1.0

_STATUS_WORDS: dict[str, tuple[str, ...]] = {
    "student": ("student", "students", "intern", "interns", "internship", "graduate", "graduates",
                "trainee", "trainees"),
    "retired": ("retired", "retiree", "retirees", "retirement"),
    "recruiter": ("recruiter", "recruiters", "recruiting", "recruitment", "staffing", "headhunter",
                  "headhunters", "talent acquisition", "sourcer", "sourcers", "executive search"),
    "open_to_work": ("open to work", "opentowork", "job seeker", "job seekers", "jobseekers",
                     "looking for work", "unemployed"),
}
_STATUS_LABEL = {"student": "student", "retired": "retired", "recruiter": "recruiter",
                 "open_to_work": "open to work"}

_LOCATION_ALIASES: dict[str, tuple[str, ...]] = {
    "united states": ("united states", "usa", "u.s.", "us", "america", "bay area"),
    "usa": ("united states", "usa", "u.s.", "bay area"),
    "us": ("united states", "usa", "u.s.", "bay area"),
    "united kingdom": ("united kingdom", "uk", "england", "scotland", "wales", "northern ireland"),
    "uk": ("united kingdom", "uk", "england", "scotland", "wales", "northern ireland"),
    "germany": ("germany", "deutschland"),
    "dach": ("germany", "austria", "switzerland", "deutschland", "osterreich", "schweiz"),
    "nordics": ("sweden", "norway", "denmark", "finland", "iceland"),
    "benelux": ("belgium", "netherlands", "luxembourg"),
    "europe": ("europe", "united kingdom", "england", "ireland", "france", "germany", "spain",
               "italy", "portugal", "netherlands", "belgium", "luxembourg", "switzerland",
               "austria", "sweden", "norway", "denmark", "finland", "poland", "czechia",
               "czech republic", "greece", "romania", "hungary", "slovakia", "slovenia",
               "croatia", "bulgaria", "estonia", "latvia", "lithuania", "iceland", "scotland",
               "wales"),
    "latam": ("brazil", "mexico", "argentina", "chile", "colombia", "peru", "uruguay",
              "ecuador", "costa rica", "latin america"),
    "apac": ("india", "china", "japan", "singapore", "australia", "new zealand", "korea",
             "indonesia", "malaysia", "philippines", "vietnam", "thailand", "hong kong", "taiwan"),
}


def _norm_text(s: str | None) -> str:
    return re.sub(r"\s+", " ", strip_accents(s or "").lower()).strip()


def _contains(text: str, phrase: str) -> bool:
    if not phrase or not text:
        return False
    return re.search(r"(?<![a-z0-9])" + re.escape(phrase) + r"(?![a-z0-9])", text) is not None


def _calibrate_rerank(values: Sequence[float]) -> list[float]:
    vals = [float(v) for v in values]
    if vals and all(0.0 <= v <= 1.0 for v in vals):
        return vals
    return [cal.sigmoid(v) for v in vals]


def _short(s: str, n: int = 60) -> str:
    s = s.replace('"', "'").strip()
    return s if len(s) <= n else s[: n - 1] + "…"


@dataclass
class _Prepared:
    """ICP pre-computed once per :meth:`Scorer.score` call."""

    icp: ICP
    targets: list[str]
    target_infos: list[Any]
    bands: list[str]
    industries: list[str]
    keywords: list[tuple[str, str]]
    locations: list[tuple[str, tuple[str, ...]]]
    exclusion_status: set[str]
    exclusion_phrases: list[tuple[str, str]]
    targeted_status: set[str]
    criteria: list[str] = field(default_factory=list)
    company_types: list[str] = field(default_factory=list)


class Scorer:
    """Scores leads against an ICP.

    ``embedder``: an :class:`icp_engine.embeddings.Embedder` (its ``name`` selects the fitted
    weights/calibration family). ``reranker``: optional :class:`icp_engine.rerank.Reranker`
    applied to the top ``rerank_top_n`` leads of stage 1. Deterministic: the same ICP and profile
    always give the same result, whatever else is in the batch (except for reranking, which only
    touches the batch's top N).
    """

    def __init__(self, embedder: Any, reranker: Any = None, rerank_top_n: int = 200):
        self.embedder = embedder
        self.reranker = reranker
        self.rerank_top_n = int(rerank_top_n)
        self.version = SCORER_VERSION
        self.family = embedder_family(getattr(embedder, "name", ""))
        self._w = weight_vector(self.family)

    # ------------------------------------------------------------------ public API
    def score(self, icp: ICP, profiles: Sequence[Profile]) -> list[ScoreResult]:
        """One :class:`ScoreResult` per profile, in input order.

        ``icp_score`` 0-100 (absolute, see :mod:`icp_engine.scoring.calibration`), ``bucket``,
        ``match_reasoning`` (one line, criteria separated by " · ") and ``components``
        (``title``, ``seniority``, ``industry``, ``size``, ``keywords``, ``location``,
        ``company_type``: 0-1 or None when unknown, present only for the ICP's criteria;
        ``title_raw``: uncalibrated title score; ``title_evidence`` / ``title_target``: the best
        pair; ``excluded``: reason or None; ``stage1``: combined fit in 0-1 before exclusions and
        reranking; ``rerank`` / ``reranker``: calibrated reranker value and reranker name when
        applied). All values are plain JSON types. An empty ICP gives every lead 0 with the
        reasoning "ICP has no criteria". Raises ``ValueError`` if a reranker returns the wrong
        number of values.
        """
        profiles = list(profiles)
        if not profiles:
            return []
        prep = self._prepare(icp)
        if not prep.criteria:
            return [ScoreResult(0.0, bucket_for(0.0), "ICP has no criteria", {}) for _ in profiles]

        cands = [self._candidate_titles(p) for p in profiles]
        title_raw = self._title_raw(prep, cands)
        ind_cos = self._industry_cosines(prep, profiles)

        results: list[ScoreResult] = []
        fits: list[float] = []
        for i, p in enumerate(profiles):
            r, fit = self._score_one(prep, p, cands[i], title_raw.get(i), ind_cos.get(i))
            results.append(r)
            fits.append(fit)
        if self.reranker is not None and self.rerank_top_n > 0:
            self._rerank(prep, profiles, results, fits)
        return results

    # ------------------------------------------------------------------ preparation
    def _prepare(self, icp: ICP) -> _Prepared:
        targets = list(dict.fromkeys(t for t in icp.target_titles if normalize_title(t)))
        bands = target_bands(icp.company_sizes)
        kws = [(k, _norm_text(k)) for k in icp.keywords if _norm_text(k)]
        locs = []
        for loc in icp.locations:
            n = _norm_text(loc)
            if n:
                locs.append((loc, _LOCATION_ALIASES.get(n, (n,))))
        ex_status: set[str] = set()
        ex_phrases: list[tuple[str, str]] = []
        for e in icp.exclusions:
            n = _norm_text(e)
            if not n:
                continue
            hit = [k for k, words in _STATUS_WORDS.items() if n in words]
            if hit:
                ex_status.update(hit)
            else:
                ex_phrases.append((e, n))
        targeted: set[str] = set()
        tnorm = " ".join(normalize_title(t) for t in targets)
        for k, words in _STATUS_WORDS.items():
            if any(_contains(tnorm, w) for w in words):
                targeted.add(k)
        if re.search(r"\b(human resources|talent|people)\b", tnorm):
            targeted.add("recruiter")
        criteria = []
        if targets:
            criteria.append("title")
        if icp.target_industries:
            criteria.append("industry")
        if bands:
            criteria.append("size")
        if kws:
            criteria.append("keywords")
        if locs:
            criteria.append("location")
        ctypes = [t for t in (canonical_company_type(x) for x in icp.company_types) if t and t != "unknown"]
        if ctypes:
            criteria.append("company_type")
        return _Prepared(
            icp=icp, targets=targets, target_infos=[title_info(t) for t in targets], bands=bands,
            industries=list(icp.target_industries), keywords=kws, locations=locs,
            exclusion_status=ex_status, exclusion_phrases=ex_phrases, targeted_status=targeted,
            criteria=criteria, company_types=list(dict.fromkeys(ctypes)),
        )

    @staticmethod
    def _candidate_titles(p: Profile) -> list[tuple[str, str]]:
        """``(title, source)`` pairs: current titles, then titles parsed from the headline."""
        out: list[tuple[str, str]] = []
        seen: set[str] = set()
        for t in (p.titles or [])[:4]:
            n = normalize_title(t or "")
            if n and n not in seen:
                seen.add(n)
                out.append((t.strip(), "title"))
        if p.headline:
            parsed = parse_headline(p.headline)
            for t in parsed.titles:
                n = normalize_title(t)
                if n and n not in seen:
                    seen.add(n)
                    out.append((t.strip(), "headline"))
        for t, src in list(out):
            for part in split_roles(t):  # "President & CEO" -> also "President", "CEO"
                n = normalize_title(part)
                if n and n not in seen:
                    seen.add(n)
                    out.append((part, src + "-part"))
        if not out and p.headline:
            h = p.headline.strip()
            if normalize_title(h) and len(h) > 2 and re.search(r"[A-Za-z]", h):
                out.append((h[:120], "headline-text"))
        return out

    # ------------------------------------------------------------------ title
    def _title_raw(self, prep: _Prepared, cands: list[list[tuple[str, str]]]
                   ) -> dict[int, tuple[float, float, int, str, str]]:
        """Per profile index: (title fit, raw score, target index, candidate title, source).

        The fit of a pair is ``max(calibrated raw, equivalence floor)``; the best pair wins.
        """
        if not prep.targets:
            return {}
        uniq: dict[str, int] = {}
        for lst in cands:
            for t, _ in lst:
                uniq.setdefault(t, len(uniq))
        if not uniq:
            return {}
        texts = list(uniq)
        t_norm = [ti.feats.norm for ti in prep.target_infos]
        c_norm = [title_info(t).feats.norm for t in texts]
        all_norm = list(dict.fromkeys(t_norm + c_norm))
        pos = {s: k for k, s in enumerate(all_norm)}
        vecs = np.asarray(self.embedder.embed(all_norm), dtype=np.float32)
        T = vecs[[pos[s] for s in t_norm]]
        C = vecs[[pos[s] for s in c_norm]]
        cos = C @ T.T  # (n_texts, n_targets)
        best_per_text: list[tuple[float, float, int]] = []
        w = self._w
        lam = TARGET_MEAN_WEIGHT if len(prep.target_infos) > 1 else 0.0
        csuite = is_csuite_icp(prep.target_infos)
        for k, t in enumerate(texts):
            ci = title_info(t)
            raws = [float(pair_features(ti, ci, float(cos[k, j])) @ w) for j, ti in enumerate(prep.target_infos)]
            j_best = max(range(len(raws)), key=lambda j: (raws[j], -j))
            top = sorted(raws, reverse=True)[:TARGET_MEAN_TOP]
            raw = (1.0 - lam) * raws[j_best] + lam * (sum(top) / len(top))
            fit = cal.title_fit_from_raw(raw, self.family)
            floor, j_floor = 0.0, j_best
            for j, ti in enumerate(prep.target_infos):
                fl = equivalence_floor(ti, ci)
                if fl > floor:
                    floor, j_floor = fl, j
            if csuite:  # "CEO, COO" ICP: any chief officer is one of the C-suite
                fl = csuite_floor(ci)
                if fl > floor:
                    floor, j_floor = fl, j_best
            best_per_text.append((fit, raw, j_best, floor, j_floor))
        out: dict[int, tuple[float, float, int, str, str]] = {}
        for i, lst in enumerate(cands):
            chosen = None
            for t, src in lst:
                fit, raw, j, floor, j_floor = best_per_text[uniq[t]]
                pen = SOURCE_PENALTY.get(src, 0.0)
                if pen:
                    # weaker evidence: a whole unparsed headline, one part of a combined title
                    raw -= pen
                    fit = cal.title_fit_from_raw(raw, self.family)
                    if src == "headline-text":
                        floor = 0.0
                if floor > fit:
                    fit, j = floor, j_floor
                if chosen is None or (fit, raw) > chosen[:2]:
                    chosen = (fit, raw, j, t, src)
            if chosen is not None:
                out[i] = chosen
        return out

    # ------------------------------------------------------------------ industry
    def _industry_cosines(self, prep: _Prepared, profiles: Sequence[Profile]) -> dict[int, np.ndarray]:
        """Embedding cosines for leads whose industry the taxonomy does not relate to a target."""
        if not prep.industries:
            return {}
        need = {}
        t_known = all(canonical_industry(t) is not None for t in prep.industries)
        for i, p in enumerate(profiles):
            if p.industry and (canonical_industry(p.industry) is None or not t_known):
                need[i] = p.industry.strip()
        if not need:
            return {}
        labels = list(dict.fromkeys(list(need.values()) + prep.industries))
        pos = {s: k for k, s in enumerate(labels)}
        vecs = np.asarray(self.embedder.embed(labels), dtype=np.float32)
        T = vecs[[pos[s] for s in prep.industries]]
        return {i: vecs[pos[s]] @ T.T for i, s in need.items()}

    # ------------------------------------------------------------------ one lead
    def _score_one(self, prep: _Prepared, p: Profile, cands: list[tuple[str, str]],
                   title_best: tuple[float, float, int, str, str] | None,
                   ind_cos: np.ndarray | None) -> tuple[ScoreResult, float]:
        comps: dict[str, Any] = {}
        parts: list[str] = []

        # title + seniority
        if "title" in prep.criteria:
            if title_best is None:
                comps["title"] = None
                parts.append("title: unknown")
            else:
                fit, raw, j, cand, src = title_best
                comps["title"] = round(fit, 4)
                comps["title_raw"] = round(raw, 6)
                comps["title_evidence"] = cand
                comps["title_target"] = prep.targets[j]
                sym = "≈" if fit >= 0.6 else ("~" if fit >= 0.3 else "≠")
                parts.append(f'title: "{_short(cand)}" {sym} "{_short(prep.targets[j])}" ({fit:.2f})')
                lv_c = title_info(cand).feats.level
                lv_t = prep.target_infos[j].feats.level
                if lv_c is not None and lv_t is not None:
                    sen = max(0.0, 1.0 - abs(lv_c - lv_t) / 3.0)
                    comps["seniority"] = round(sen, 3)
                    mark = "✓" if sen >= 0.99 else ("~" if sen > 0 else "✗")
                    parts.append(f"seniority: {SENIORITY_LEVELS[lv_c]} {mark}")
                else:
                    comps["seniority"] = None

        # industry
        if "industry" in prep.criteria:
            fit, rel, tgt = industry_fit(p.industry, prep.industries, ind_cos)
            comps["industry"] = None if fit is None else round(fit, 4)
            if fit is None:
                parts.append("industry: unknown")
            else:
                shown = canonical_industry(p.industry) or p.industry.strip()
                if rel in ("same", "descendant"):
                    parts.append(f"industry: {shown} ✓")
                elif rel in ("ancestor", "sibling", "similar"):
                    parts.append(f"industry: {shown} ~ {tgt} ({rel})")
                else:
                    parts.append(f"industry: {shown} ✗")

        # size
        if "size" in prep.criteria:
            band = lead_band(p.company_size)
            fit = size_fit(band, prep.bands)
            comps["size"] = fit
            if fit is None:
                parts.append("size: unknown")
            else:
                mark = "✓" if fit >= 1.0 else ("~" if fit > 0 else "✗")
                parts.append(f"size: {band} {mark}")

        # keywords
        if "keywords" in prep.criteria:
            fields = [p.headline, p.summary, p.company, p.industry, " ".join(p.titles or []),
                      " ".join(p.skills or []), " ".join(p.past_roles or [])]
            text = _norm_text(" \n ".join(f for f in fields if f))
            if not text or text == "--":
                comps["keywords"] = None
                parts.append("keywords: unknown")
            else:
                found = [k for k, n in prep.keywords if _contains(text, n)]
                need = max(1, (len(prep.keywords) + 1) // 2)
                comps["keywords"] = round(min(1.0, len(found) / need), 4)
                parts.append("keywords: " + (", ".join(found) + " ✓" if found else "—"))

        # location
        if "location" in prep.criteria:
            loc = _norm_text(p.location)
            if not loc:
                comps["location"] = None
                parts.append("location: unknown")
            else:
                hit = next((orig for orig, al in prep.locations if any(_contains(loc, a) for a in al)), None)
                comps["location"] = 1.0 if hit else 0.0
                parts.append(f"location: {_short(p.location or '', 40)} " + ("✓" if hit else "✗"))

        # company type (startup / scaleup / mid-market / enterprise / agency / freelance)
        if "company_type" in prep.criteria:
            ctype, why = lead_company_type(p)
            fit_t = company_type_fit(ctype, prep.company_types)
            comps["company_type"] = fit_t
            if fit_t is None:
                parts.append("type: unknown")
            else:
                mark = "✓" if fit_t >= 1.0 else ("~" if fit_t > 0 else "✗")
                parts.append(f"type: {ctype} {mark}")

        fit = cal.combine(comps, prep.criteria)
        comps["stage1"] = round(fit, 6)

        # exclusions and status
        excluded = self._exclusion(prep, p, cands)
        comps["excluded"] = excluded
        score = max(MIN_SCORE, cal.to_score(fit))
        if excluded:
            kind, why = excluded
            # below every lead that is not excluded, ordered by fit among themselves
            score = round(min(EXCLUDED_MAX, fit * EXCLUDED_MAX), 1)
            parts.append(f"excluded: {why} ✗")
        comps["excluded"] = excluded[1] if excluded else None
        reasoning = " · ".join(parts)
        return ScoreResult(score, bucket_for(score), reasoning, comps), fit

    def _exclusion(self, prep: _Prepared, p: Profile, cands: list[tuple[str, str]]) -> tuple[str, str] | None:
        roles = [t for t, src in cands if src != "headline-text"]
        status = set(detect_status(p.headline, *(p.titles or [])[:2])) - {"recruiter"}
        status |= detect_status(*roles[:3]) & {"recruiter"}
        # recruiters: only when the role itself is recruiting (not "hiring for my team")
        for s in sorted(status):
            if s in prep.exclusion_status:
                return ("exclusion", _STATUS_LABEL[s])
        for s in sorted(status):
            if s not in prep.targeted_status:
                if s == "open_to_work" and p.titles:
                    continue  # has a current position: the banner alone is not disqualifying
                return ("status", _STATUS_LABEL[s])
        if prep.exclusion_phrases:
            fields = [p.headline, p.company, " ".join(p.titles or []), p.summary, p.industry]
            text = _norm_text(" \n ".join(f for f in fields if f))
            for orig, n in prep.exclusion_phrases:
                if _contains(text, n):
                    return ("exclusion", orig)
        return None

    # ------------------------------------------------------------------ stage 2
    def _rerank(self, prep: _Prepared, profiles: Sequence[Profile], results: list[ScoreResult],
                fits: list[float]) -> None:
        order = sorted(
            (i for i, r in enumerate(results) if not r.components.get("excluded")),
            key=lambda i: (-fits[i], i),
        )[: self.rerank_top_n]
        if not order:
            return
        query = rerank_query(prep.icp)
        docs = [profile_document(profiles[i]) for i in order]
        raw_values = [float(x) for x in self.reranker.rerank(query, docs)]
        if len(raw_values) != len(order):
            raise ValueError(f"reranker returned {len(raw_values)} values for {len(order)} documents")
        values = _calibrate_rerank(raw_values)
        name = getattr(self.reranker, "name", "reranker")
        ranks = _rank_scores(raw_values)
        n = len(order)
        for pos, (i, v, rk) in enumerate(zip(order, values, ranks)):
            r = results[i]
            new_fit = max(0.0, min(1.0, fits[i] + RERANK_WEIGHT * (rk - 0.5)))
            r.components["rerank"] = round(v, 4)
            r.components["rerank_rank"] = round(rk, 4)
            r.components["reranker"] = name
            r.icp_score = cal.to_score(new_fit)
            r.bucket = bucket_for(r.icp_score)
            place = 1 + sum(1 for x in raw_values if x > raw_values[pos])
            r.match_reasoning += f" · rerank: #{place}/{n}"


def _rank_scores(values: Sequence[float]) -> list[float]:
    """Rank of each value among ``values`` scaled to [0, 1] (1 = best, ties share the mean rank;
    a single value gets 0.5)."""
    n = len(values)
    if n <= 1:
        return [0.5] * n
    out = []
    for v in values:
        below = sum(1 for x in values if x < v)
        equal = sum(1 for x in values if x == v)
        out.append((below + (equal - 1) / 2.0) / (n - 1))
    return out


_TYPE_ORDER = ("startup", "scaleup", "mid-market", "enterprise")


def lead_company_type(p: Profile) -> tuple[str, str]:
    """Company type of a lead's company, offline: ``(type, evidence)``; type ``"unknown"`` if unsure.

    A ``company_type`` attribute on the profile (the classifier's stored result) wins; else
    :func:`icp_engine.classify.company_type_from_text` reads the headline, company, summary and
    industry with the lead's size band (freelance / agency words, then size band and industry,
    then startup / scale-up / enterprise words).
    """
    from ..classify import company_type_from_text

    given = canonical_company_type(getattr(p, "company_type", None))
    if given and given != "unknown":  # a classification stored with the lead wins
        return given, "classified"
    text = " ".join(x for x in (p.headline, p.company, p.summary, p.industry) if x)
    return company_type_from_text(text, lead_band(p.company_size), canonical_industry(p.industry))


def company_type_fit(ctype: str | None, targets: Sequence[str]) -> float | None:
    """1.0 for a target type, 0.5 for a neighbouring stage (startup < scaleup < mid-market <
    enterprise), else 0; None when the type is unknown or no type is targeted."""
    if not targets or not ctype or ctype == "unknown":
        return None
    if ctype in targets:
        return 1.0
    if ctype in _TYPE_ORDER:
        i = _TYPE_ORDER.index(ctype)
        if any(t in _TYPE_ORDER and abs(_TYPE_ORDER.index(t) - i) == 1 for t in targets):
            return 0.5
    return 0.0


def rerank_query(icp: ICP) -> str:
    """Query text given to a reranker for an ICP (titles, industries, sizes, keywords)."""
    bits = []
    if icp.target_titles:
        bits.append(" or ".join(icp.target_titles))
    if icp.target_industries:
        bits.append("in " + " or ".join(icp.target_industries))
    if icp.company_sizes:
        bits.append("company size " + ", ".join(icp.company_sizes))
    if icp.keywords:
        bits.append("keywords: " + ", ".join(icp.keywords))
    return "; ".join(bits) or icp.name


def profile_document(p: Profile) -> str:
    """Short document text of a lead for a reranker (titles, headline, company, industry, size)."""
    bits = []
    if p.titles:
        bits.append("; ".join(p.titles[:3]))
    if p.headline:
        bits.append(p.headline)
    if p.company:
        bits.append("at " + p.company)
    if p.industry:
        bits.append("industry: " + p.industry)
    if p.company_size:
        bits.append(f"{p.company_size} employees")
    return " | ".join(bits)
