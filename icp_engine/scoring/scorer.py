"""The scorer: ``icp_score`` = 100 x the probability that the client keeps the lead.

One call scores many leads against one ICP (:meth:`Scorer.score`); every lead's result depends
only on that lead and the ICP (never on the batch), except for the optional reranker, which only
reorders the batch's top N by at most :data:`RERANK_WEIGHT` / 2.

Per lead (see :mod:`icp_engine.scoring.calibration` for the meaning and the constants):

1. **Title evidence** - current titles, titles parsed from the headline
   (:func:`titles.parse_headline`) and the roles of combined titles ("President & CEO"); if none
   parses, the whole headline. Each is compared with the ICP's titles by the title model
   (:mod:`title_model`: bge-small cosines + job function + seniority), the best one wins.
   Free-title ICPs imply their functions and seniority levels (:func:`functions.icp_targets`):
   a lead of an implied function within one level (a Controller for a CFO ICP) gets at least
   :data:`calibration.ADJACENT_FLOOR` ("possible"). An ICP that picks ``functions`` /
   ``seniorities`` adds them as a criterion (without titles, they are the role criterion).
   No title evidence: :data:`calibration.TITLE_PRIOR` (unknown, not a mismatch).
2. **Hard criteria** - industry (LinkedIn V2 hierarchy, :mod:`industry`), company size
   (:mod:`sizes`), company type: likelihood factors; unknown ones are marginalised.
3. **Soft criteria** - keywords (headline, titles, summary, skills, company, industry, past
   roles) and location: odds lifts when found, a small cost when absent.
4. **Exclusions** - ICP ``exclusions`` and, unless the ICP targets them, students, retirees,
   recruiters and open-to-work people without a position: scored :data:`EXCLUDED_SCORE` (0), under
   every other lead (which scores at least :data:`MIN_SCORE`); their probability stays in the
   components.
5. Optional **LLM judgement** of the uncertain band (:mod:`icp_engine.scoring.judge`) and
   optional **reranker** nudge of the top N.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from ..domain import ICP, Profile, ScoreResult, bucket_for
from ..taxonomy import canonical_company_type, canonical_industry
from . import calibration as cal
from . import core_view
from . import tail
from . import title_model as tm
from .backbone import title_backbone
from .prompts import version_tag
from .layers import attach_view
from .functions import classify_title, icp_targets
from .icp_side import implied_tiers, names_top_level
from .industry import industry_fit
from .sizes import lead_band, size_fit, target_bands
from .targets import expand_target, singular_roles
from .title_match import csuite_floor, equivalence_floor, is_csuite_icp, title_info
from .titles import detect_status, normalize_title, parse_headline, split_roles, strip_accents

#: Version of the scoring logic and constants; stored with every qualification.
SCORER_VERSION = "3.7.1"

#: Reranking nudges the probability of each top-N lead by ``RERANK_WEIGHT * (rank - 0.5)``,
#: ``rank`` in [0, 1] being the lead's place in the reranker's order (1 = first): at most
#: +-0.05 (5 points). Cross-encoder outputs are not probabilities, so they only reorder close
#: calls; they never set the level.
RERANK_WEIGHT = 0.1

#: Excluded leads score EXCLUDED_SCORE; every other lead at least MIN_SCORE (the score is
#: 100 x P with two decimals, so only probabilities under 0.0001 share the minimum).
EXCLUDED_SCORE = 0.0
MIN_SCORE = 0.01

#: Evidence sources of a lead title, strongest first (for the reasoning and ties).
_SOURCE_RANK = {"title": 0, "headline": 1, "title-part": 2, "headline-part": 3, "headline-text": 4}

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
    variants: list[str]
    tset: Any
    bands: list[str]
    industries: list[str]
    keywords: list[tuple[str, str]]
    locations: list[tuple[str, tuple[str, ...]]]
    exclusion_status: set[str]
    exclusion_phrases: list[tuple[str, str]]
    targeted_status: set[str]
    role: str  # "titles" | "functions" | "none"
    hard: list[str] = field(default_factory=list)
    soft: list[str] = field(default_factory=list)
    company_types: list[str] = field(default_factory=list)
    fs_criterion: bool = False


def icp_version_key(icp: ICP) -> str:
    """Content hash of an ICP (SHA-1 of its sorted JSON): the "ICP version" of caches."""
    return hashlib.sha1(json.dumps(icp.model_dump(), sort_keys=True, default=str).encode()).hexdigest()


class Scorer:
    """Scores leads against an ICP: calibrated probability x 100, bucket, reasoning, evidence.

    ``embedder``: the configured :class:`icp_engine.embeddings.Embedder`, used for industry labels
    the taxonomy does not know; when it is database-backed (``CachedEmbedder``) its database
    also caches the title backbone's vectors. ``reranker``: optional
    :class:`icp_engine.rerank.Reranker` for the top ``rerank_top_n`` leads. ``backbone``: title
    embedder (default :func:`backbone.title_backbone`). ``judge``: optional
    :class:`icp_engine.scoring.judge.Judge` (LLM) for leads whose probability is in
    ``judge.band``. Deterministic: the same ICP and lead always give the same result.
    """

    def __init__(self, embedder: Any, reranker: Any = None, rerank_top_n: int = 200, *,
                 backbone: Any = None, judge: Any = None):
        self.embedder = embedder
        self.reranker = reranker
        self.rerank_top_n = int(rerank_top_n)
        self.version = SCORER_VERSION + version_tag()  # prompts.py: a non-default title template
        self.judge = judge
        self._backbone = backbone
        if backbone is None:  # load the title backbone in the background while earlier stages run
            # not a daemon: a process that ends first waits for the load (at most ~1 s) instead of
            # tearing onnxruntime down mid-load (which aborts the interpreter)
            threading.Thread(target=self._prefetch, name="title-backbone-load", daemon=False).start()

    def _prefetch(self) -> None:
        try:
            title_backbone(getattr(self.embedder, "db", None))
        except Exception:  # noqa: BLE001 - surfaced by the first real use instead
            pass

    @property
    def backbone(self) -> Any:
        """The title backbone embedder (loaded on first use)."""
        if self._backbone is None:
            self._backbone = title_backbone(getattr(self.embedder, "db", None))
        return self._backbone

    # ------------------------------------------------------------------ public API
    def score(self, icp: ICP, profiles: Sequence[Profile]) -> list[ScoreResult]:
        """One :class:`ScoreResult` per profile, in input order.

        ``icp_score``: 0-100 with two decimals, 100 x P(client keeps the lead);
        ``bucket``: strong (>= 80) / good (>= 60) / possible (>= 40) / poor; ``match_reasoning``:
        one line, criteria separated by " · "; ``components``: JSON-safe evidence per criterion
        (keys documented in the README, "Score components"). An ICP with no criterion gives
        every lead 0 with the reasoning "ICP has no criteria". Raises ``ValueError`` if a
        reranker returns the wrong number of values.
        """
        profiles = list(profiles)
        if not profiles:
            return []
        prep = self._prepare(icp)
        if prep.role == "none" and not prep.hard and not prep.soft:
            return [ScoreResult(0.0, bucket_for(0.0), "ICP has no criteria", {}) for _ in profiles]
        cands = [self._candidate_titles(p) for p in profiles]
        title_best = self._title_probs(prep, cands) if prep.role != "none" else {}
        ind_cos = self._industry_cosines(prep, profiles)
        results: list[ScoreResult] = []
        fits: list[float] = []
        for i, p in enumerate(profiles):
            r, fit = self._score_one(prep, p, cands[i], title_best.get(i), ind_cos.get(i))
            results.append(r)
            fits.append(fit)
        if self.judge is not None:
            from .judge import apply_judgement

            apply_judgement(self, prep, profiles, results, fits)
        if self.reranker is not None and self.rerank_top_n > 0:
            self._rerank(prep, profiles, results, fits)
        return results

    # ------------------------------------------------------------------ preparation
    def _prepare(self, icp: ICP) -> _Prepared:
        targets = list(dict.fromkeys(t.strip() for t in icp.target_titles if normalize_title(t)))
        variants: list[str] = []
        for t in targets:
            for v in expand_target(t):
                if normalize_title(v) and v not in variants:
                    variants.append(v)
        picked_f = list(getattr(icp, "functions", []) or [])
        picked_s = list(getattr(icp, "seniorities", []) or [])
        it = icp_targets([singular_roles(v) for v in (variants or targets)], picked_f, picked_s)
        fs_criterion = bool(it.explicit_functions or it.explicit_seniorities)
        role = "titles" if targets else ("functions" if fs_criterion else "none")
        tset = None
        if targets:
            t_norm = [normalize_title(t) for t in targets]
            v_norm = list(dict.fromkeys(normalize_title(v) for v in variants))
            vecs = np.asarray(self.backbone.embed(list(dict.fromkeys(t_norm + v_norm))), dtype=np.float32)
            pos = {s: k for k, s in enumerate(dict.fromkeys(t_norm + v_norm))}
            T = vecs[[pos[s] for s in t_norm]]
            V = vecs[[pos[s] for s in v_norm]]
            vt = sorted({x for t in targets for x in implied_tiers(t)})
            tset = tm.make_target_set(T, V, it, vt, targets + variants)
            attach_view(tset, t_norm, v_norm, getattr(self.embedder, "db", None))  # layers.py: lvar, lcen
            v_raw: dict[str, str] = {}
            for v in variants:
                v_raw.setdefault(normalize_title(v), v)
            # core_view.py: kvar, kcen on the core role texts, in the two-view space of layers.py
            if tset.view is not None:
                tset.core = core_view.prepare_fused(self.backbone, tset.view.embedder, targets, [v_raw[s] for s in v_norm])
            else:  # no second view: the core view on the backbone's vectors alone
                tset.core = core_view.prepare_targets(self.backbone, targets, [v_raw[s] for s in v_norm], T, V)
        elif fs_criterion:
            empty = np.zeros((0, int(self.backbone.dim)), np.float32)
            tset = tm.make_target_set(empty, empty, it, [])
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
        if re.search(r"\b(human resources|talent|people)\b", tnorm) or "Human Resources" in it.functions:
            targeted.add("recruiter")
        if "In Training" in it.seniorities and it.explicit_seniorities:
            targeted.add("student")
        hard = []
        if icp.target_industries:
            hard.append("industry")
        if bands:
            hard.append("size")
        ctypes = [t for t in (canonical_company_type(x) for x in icp.company_types) if t and t != "unknown"]
        if ctypes:
            hard.append("company_type")
        soft = []
        if kws:
            soft.append("keywords")
        if locs:
            soft.append("location")
        return _Prepared(
            icp=icp, targets=targets, variants=variants, tset=tset, bands=bands,
            industries=list(icp.target_industries), keywords=kws, locations=locs,
            exclusion_status=ex_status, exclusion_phrases=ex_phrases, targeted_status=targeted,
            role=role, hard=hard, soft=soft, company_types=list(dict.fromkeys(ctypes)),
            fs_criterion=fs_criterion,
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
    def _title_probs(self, prep: _Prepared, cands: list[list[tuple[str, str]]]) -> dict[int, dict[str, Any]]:
        """Per profile index: the best title evidence ``{"p", "title", "source", "target",
        "cos", "features", "function_share", "tier_distance"}`` (absent: no title evidence)."""
        uniq: dict[str, int] = {}
        for lst in cands:
            for t, _ in lst:
                uniq.setdefault(t, len(uniq))
        if not uniq:
            return {}
        texts = list(uniq)
        ts = prep.tset
        fshare = [tm.function_share(t, ts.targets) for t in texts]
        tdist = [tm.tier_distance(t, ts.tiers) for t in texts]
        if prep.role == "titles":
            norms = [normalize_title(t) for t in texts]
            order = list(dict.fromkeys(norms))
            vecs = np.asarray(self.backbone.embed(order), dtype=np.float32)
            pos = {s: k for k, s in enumerate(order)}
            C = vecs[[pos[s] for s in norms]]
            X = tm.features(C, texts, ts, core_view.lead_views_for(self.backbone, texts, C, ts), fshare, tdist)
            P = tm.probabilities(X)
            P = tail.recalibrate_many(P)  # TITLE_RECALIBRATION with a gentler tail
            cos_t = C @ ts.T.T
            best_j = cos_t.argmax(axis=1)
            implied = not ts.targets.explicit_functions
            t_infos = [title_info(t) for t in prep.targets]
            # two C-level roles, or "Top executives" / "top management": the C-suite as a group
            csuite = is_csuite_icp(t_infos) or any(names_top_level(t) for t in prep.targets)
            floors = np.zeros(len(texts))
            for k, t in enumerate(texts):
                ci = title_info(t)
                fl = max(equivalence_floor(ti, ci) for ti in t_infos)
                if csuite:
                    fl = max(fl, csuite_floor(ci))
                floors[k] = fl
            # a bare role ("Consultant", "Manager - Kuala Lumpur") does not show the qualifier every
            # ICP title names ("legal consultant"): at most BARE_ROLE_CAP
            if all(ti.content for ti in t_infos):
                for k, t in enumerate(texts):
                    if not title_info(t).content and title_info(t).feats.norm:
                        P[k] = cal.soft_cap(P[k], cal.BARE_ROLE_CAP)
            P = np.array([cal.soft_floor(float(v), float(f)) for v, f in zip(P, floors)])
            for k in range(len(texts)):
                d = tdist[k]
                fs = fshare[k]
                tier = classify_title(texts[k]).tier
                if (implied and fs is not None and fs >= 0.5 and d is not None
                        and d in cal.ADJACENT_FLOOR and tier is not None and tier >= cal.ADJACENT_MIN_TIER):
                    P[k] = cal.soft_floor(float(P[k]), cal.ADJACENT_FLOOR[d])
            if prep.fs_criterion:  # picked functions / levels on top of titles: a criterion of its own
                for k in range(len(texts)):
                    fs_k = fshare[k]
                    same = None if fs_k is None else fs_k > 0
                    if not ts.targets.explicit_functions:
                        same = None
                    dist = tdist[k] if ts.targets.explicit_seniorities else None
                    pf = cal.function_level_probability(same, dist)
                    P[k] = cal.sigmoid(cal.logit(P[k]) + cal.logit(pf) - cal.logit(0.5))
        else:  # functions / seniority levels only
            X = np.zeros((len(texts), len(tm.FEATURES)))
            P = np.zeros(len(texts))
            best_j = np.zeros(len(texts), dtype=int)
            for k in range(len(texts)):
                fs_k = fshare[k]
                same = None if fs_k is None else fs_k > 0
                if not ts.targets.explicit_functions:
                    same = None
                dist = tdist[k] if ts.targets.explicit_seniorities else None
                P[k] = cal.function_level_probability(same, dist)
        out: dict[int, dict[str, Any]] = {}
        for i, lst in enumerate(cands):
            chosen = None
            for t, src in lst:
                k = uniq[t]
                p = float(P[k])
                if src == "headline-text":
                    p = cal.sigmoid(cal.logit(p) - cal.HEADLINE_TEXT_LOGIT_PENALTY)
                key = (p, -_SOURCE_RANK.get(src, 9))
                if chosen is None or key > chosen[0]:
                    chosen = (key, k, t, src, p)
            if chosen is None:
                continue
            _, k, t, src, p = chosen
            ev = {"p": p, "title": t, "source": src,
                  "features": {n: round(float(X[k, j]), 4) for j, n in enumerate(tm.FEATURES)},
                  "function_share": None if (fs_ev := fshare[k]) is None else round(float(fs_ev), 3),
                  "tier_distance": tdist[k]}
            if prep.role == "titles":
                ev["target"] = prep.targets[int(best_j[k])]
                ev["cos"] = round(float(X[k, 0]), 4)
            out[i] = ev
        return out

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
                   tb: dict[str, Any] | None, ind_cos: np.ndarray | None) -> tuple[ScoreResult, float]:
        comps: dict[str, Any] = {}
        parts: list[str] = []
        # role: titles, or picked functions / levels
        lead_class = classify_title(tb["title"]) if tb else None
        if prep.role != "none":
            if tb is None:
                p_title = cal.TITLE_PRIOR
                comps["title"] = None
                parts.append("title: unknown")
            else:
                p_title = tb["p"]
                comps["title"] = round(p_title, 4)
                comps["title_evidence"] = tb["title"]
                comps["title_source"] = tb["source"]
                comps["title_features"] = tb["features"]
                if "target" in tb:
                    comps["title_target"] = tb["target"]
                    comps["title_cos"] = tb["cos"]
                    sym = "≈" if p_title >= 0.6 else ("~" if p_title >= 0.3 else "≠")
                    parts.append(f'title: "{_short(tb["title"])}" {sym} "{_short(tb["target"])}" ({p_title:.2f})')
                else:
                    parts.append(f'role: "{_short(tb["title"])}" ({p_title:.2f})')
        else:
            p_title = cal.NO_TITLE_BASE
        if lead_class is not None and tb is not None:
            comps["function"] = list(lead_class.functions)
            comps["seniority"] = lead_class.seniority
            fsh = tb.get("function_share")
            comps["function_match"] = None if fsh is None else round(float(fsh), 3)
            comps["seniority_gap"] = tb.get("tier_distance")
            if prep.role != "none":
                fmark = "" if fsh is None else (" ✓" if fsh >= 0.5 else " ✗")
                if lead_class.functions:
                    parts.append("function: " + "/".join(lead_class.functions[:2]) + fmark)
                gap = tb.get("tier_distance")
                if lead_class.seniority:
                    smark = "" if gap is None else (" ✓" if gap == 0 else (" ~" if gap == 1 else " ✗"))
                    parts.append(f"seniority: {lead_class.seniority}{smark}")
        else:
            comps["function"] = None
            comps["seniority"] = None
            comps["function_match"] = None
            comps["seniority_gap"] = None

        hard: dict[str, float | None] = {}
        soft: dict[str, float | None] = {}
        # industry
        if "industry" in prep.hard:
            fit, rel, tgt = industry_fit(p.industry, prep.industries,
                                         None if ind_cos is None else [float(x) for x in ind_cos])
            hard["industry"] = fit
            comps["industry"] = None if fit is None else round(fit, 4)
            comps["industry_relation"] = rel
            if fit is None:
                parts.append("industry: unknown")
            else:
                shown = canonical_industry(p.industry) or (p.industry or "").strip()
                if rel in ("same", "descendant"):
                    parts.append(f"industry: {shown} ✓")
                elif rel in ("ancestor", "sibling", "similar"):
                    parts.append(f"industry: {shown} ~ {tgt} ({rel})")
                else:
                    parts.append(f"industry: {shown} ✗")
        # size
        if "size" in prep.hard:
            band = lead_band(p.company_size)
            fit = size_fit(band, prep.bands)
            hard["size"] = fit
            comps["size"] = fit
            if fit is None:
                parts.append("size: unknown")
            else:
                mark = "✓" if fit >= 1.0 else ("~" if fit > 0 else "✗")
                parts.append(f"size: {band} {mark}")
        # company type
        if "company_type" in prep.hard:
            ctype, _why = lead_company_type(p)
            fit_t = company_type_fit(ctype, prep.company_types)
            hard["company_type"] = fit_t
            comps["company_type"] = fit_t
            if fit_t is None:
                parts.append("type: unknown")
            else:
                mark = "✓" if fit_t >= 1.0 else ("~" if fit_t > 0 else "✗")
                parts.append(f"type: {ctype} {mark}")
        # keywords (soft)
        if "keywords" in prep.soft:
            fields = [p.headline, p.summary, p.company, p.industry, " ".join(p.titles or []),
                      " ".join(p.skills or []), " ".join(p.past_roles or [])]
            text = _norm_text(" \n ".join(f for f in fields if f))
            if not text or text == "--":
                soft["keywords"] = None
                comps["keywords"] = None
                parts.append("keywords: unknown")
            else:
                found = [k for k, n in prep.keywords if _contains(text, n)]
                need = max(1, (len(prep.keywords) + 1) // 2)
                v = round(min(1.0, len(found) / need), 4)
                soft["keywords"] = v
                comps["keywords"] = v
                comps["keywords_found"] = found
                parts.append("keywords: " + (", ".join(found) + " ✓" if found else "not found"))
        # location (soft: nice to have)
        if "location" in prep.soft:
            loc = _norm_text(p.location)
            if not loc:
                soft["location"] = None
                comps["location"] = None
                parts.append("location: unknown")
            else:
                hit = next((orig for orig, al in prep.locations if any(_contains(loc, a) for a in al)), None)
                soft["location"] = 1.0 if hit else 0.0
                comps["location"] = soft["location"]
                parts.append(f"location: {_short(p.location or '', 40)} " + ("✓" if hit else "✗"))

        prob, factors = cal.combine(p_title, hard, soft)
        comps["factors"] = factors
        comps["probability"] = round(prob, 6)
        comps["stage1"] = round(prob, 6)
        comps["p_keep"] = prob  # unrounded (the learning module reads it)
        excluded = self._exclusion(prep, p, cands)
        score = max(MIN_SCORE, cal.to_score(prob))
        if excluded:
            _kind, why = excluded
            score = EXCLUDED_SCORE
            parts.append(f"excluded: {why} ✗")
        comps["excluded"] = excluded[1] if excluded else None
        if excluded:
            comps["p_keep"] = 0.0  # what the score says: an excluded lead is not wanted
        reasoning = " · ".join(parts)
        return ScoreResult(score, bucket_for(score), reasoning, comps), prob

    def _exclusion(self, prep: _Prepared, p: Profile, cands: list[tuple[str, str]]) -> tuple[str, str] | None:
        roles = [t for t, src in cands if src != "headline-text"]
        status = set(detect_status(p.headline, *(p.titles or [])[:2])) - {"recruiter"}
        status |= detect_status(*roles[:3]) & {"recruiter"}
        if "student" in status and not tail.is_student(p.headline, *(p.titles or [])[:2]):
            status.discard("student")  # "Student Recruiter": works with students
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
            r.components["p_keep"] = new_fit
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
