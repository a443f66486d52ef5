"""Classification of each lead's company: LinkedIn V2 industry + company type, with reasoning.

Sources, best first (each fills only what the previous left unknown):

1. **Company data** from enrichment (Apify items: the current company's ``industries`` ->
   ``Profile.industry``, its ``employeeCountRange`` -> ``Profile.company_size``): the industry
   is canonicalised to a V2 label (:func:`icp_engine.taxonomy.canonical_industry`, V1 names
   included) and the size band gives the type (:func:`company_type_from_text`: agency /
   freelance words first, then the band, read in the light of the industry - a small
   traditional business is not called a startup).
2. **LLM** (when an :class:`icp_engine.llm.OpenAIChat` is given): leads are sent in batches with
   a strict JSON schema; the industry answer is snapped to a V2 label.
3. **Offline**: keyword rules over the company name and headline (industry words such as
   "SaaS", "law firm", "hospital"; type words such as "stealth", "seed", "agency",
   "freelance"), then the nearest V2 label by cosine similarity of embeddings of the lead's
   company-side text, accepted only when it stands out from the other labels.

Missing evidence gives ``industry=None`` / ``company_type="unknown"``: unknown, not a mismatch.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any, Sequence

import numpy as np

from .domain import SIZE_BANDS, Profile
from .taxonomy import (
    COMPANY_TYPES,
    INDUSTRIES,
    canonical_company_type,
    canonical_industry,
    company_type_from_band,
    industry_ancestors,
    industry_top_level,
    parse_size_band,
)

log = logging.getLogger(__name__)

__all__ = [
    "Classification",
    "classify",
    "classify_many",
    "OfflineClassifier",
    "LLM_SCHEMA",
    "industry_from_text",
    "company_type_from_text",
    "is_venture_style",
]


@dataclass
class Classification:
    """Result for one lead.

    ``industry``: a LinkedIn Industry Codes V2 label (:data:`icp_engine.taxonomy.INDUSTRIES`) or
    None when unknown. ``company_type``: one of :data:`icp_engine.taxonomy.COMPANY_TYPES`.
    ``reasoning``: one short line naming the evidence. ``source``: where the answer came from:
    ``apify``/``profile`` (company data of the enrichment source), ``llm``, ``offline``, or two of
    them joined by ``+`` (industry source first) when the fields came from different sources.
    """

    industry: str | None
    company_type: str
    reasoning: str
    source: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# --------------------------------------------------------------------------- text rules

# (pattern, V2 label) - most specific first; applied to lower-cased text.
_INDUSTRY_RULES: tuple[tuple[str, str], ...] = (
    (r"\bventure capital\b|\bvc (fund|firm)\b|\bseed fund\b|\bventures\b|\binvesting in\b|\bangel investor\b",
     "Venture Capital and Private Equity Principals"),
    (r"\bprivate equity\b|\bbuy-?out fund\b", "Venture Capital and Private Equity Principals"),
    (r"\binvestment bank", "Investment Banking"),
    (r"\bhedge fund\b|\basset management\b|\bwealth management\b|\bfamily office\b", "Investment Management"),
    (r"\bcyber ?security\b|\binfosec\b|\bpenetration test", "Computer and Network Security"),
    (r"\bfintech\b|\bneobank\b|\bpayments? (company|platform|startup)\b", "Financial Services"),
    (r"\binsurtech\b|\binsurance\b|\breinsurance\b|\bunderwriter\b", "Insurance"),
    (r"\bbank\b|\bbanking\b|\bcredit union\b", "Banking"),
    (r"\bsaas\b|\bb2b software\b|\bsoftware (company|startup|platform|vendor|house)\b|\bdev ?tools\b",
     "Software Development"),
    (r"\bvideo games?\b|\bgame (studio|developer|company)\b|\bgaming (studio|company)\b", "Computer Games"),
    (r"\bpharma(ceutical)?s?\b|\btherapeutics\b|\bdrug discovery\b", "Pharmaceutical Manufacturing"),
    (r"\bbiotech", "Biotechnology Research"),
    (r"\bmedtech\b|\bmedical devices?\b", "Medical Equipment Manufacturing"),
    (r"\bhospital\b|\bclinic\b|\bhealth ?care\b|\bregistered nurse\b|\bnurse\b|\bnursing\b|\bphysician\b"
     r"|\bsurgeon\b|\bmedical cent(er|re)\b|\bhealthtech\b", "Hospitals and Health Care"),
    (r"\blaw firm\b|\bllp\b|\battorneys?\b|\blawyers?\b|\blitigation\b|\bsolicitors?\b|\bparalegal\b"
     r"|\bbarrister\b", "Law Practice"),
    (r"\bedtech\b|\be-?learning\b|\bonline (courses?|learning)\b", "E-Learning Providers"),
    (r"\buniversity\b|\bcollege\b|\bprofessor\b|\blecturer\b|\bphd\b|\bstudent\b|\bpostdoc", "Higher Education"),
    (r"\bschool\b|\bteacher\b|\belementary\b|\bkindergarten\b", "Primary and Secondary Education"),
    (r"\bpr (agency|firm)\b|\bpublic relations\b", "Public Relations and Communications Services"),
    (r"\b(marketing|advertising|creative|digital|branding|seo|growth|media|social media|performance) agency\b"
     r"|\bad agency\b", "Advertising Services"),
    (r"\brecruit(ment|ing) (agency|firm)\b|\bstaffing\b|\bexecutive search\b|\bheadhunt", "Staffing and Recruiting"),
    (r"\bmanagement consult|\bconsultancy\b|\bconsulting (firm|group|company)\b|\bstrategy consult",
     "Business Consulting and Services"),
    (r"\bit services\b|\bmanaged services?\b|\bmsp\b|\bsystems? integrator\b|\bit consult", "IT Services and IT Consulting"),
    (r"\breal estate\b|\brealtor\b|\bproptech\b|\bproperty (management|developer|development)\b",
     "Real Estate"),
    (r"\be-?commerce\b|\bdtc\b|\bd2c\b|\bonline (store|shop|retailer)\b", "Online and Mail Order Retail"),
    (r"\bsupermarket\b|\bgrocer", "Retail Groceries"),
    (r"\blogistics\b|\bfreight\b|\bsupply chain\b|\bshipping company\b|\b3pl\b",
     "Transportation, Logistics, Supply Chain and Storage"),
    (r"\bconstruction\b|\bbuilders\b|\bgeneral contractor\b", "Construction"),
    (r"\bautomotive\b|\bcar maker\b|\bcarmaker\b", "Motor Vehicle Manufacturing"),
    (r"\bsolar\b|\bwind (energy|farm|power)\b|\brenewables?\b|\brenewable energy\b", "Renewable Energy Power Generation"),
    (r"\boil (and|&) gas\b|\bpetroleum\b|\bupstream\b", "Oil and Gas"),
    (r"\btelecom", "Telecommunications"),
    (r"\bnon-?profit\b|\bcharity\b|\bngo\b|\bnot-for-profit\b", "Non-profit Organizations"),
    (r"\bgovernment\b|\bministry\b|\bcity council\b|\bpublic sector\b|\bcivil servant\b", "Government Administration"),
    (r"\barmy\b|\bnavy\b|\bair force\b|\bmilitary\b|\bmarine corps\b", "Armed Forces"),
    (r"\bhotels?\b|\bhospitality\b|\bresorts?\b", "Hospitality"),
    (r"\brestaurants?\b|\bchef\b|\bcafe\b", "Restaurants"),
    (r"\baccounting firm\b|\bcpa firm\b|\bchartered accountants\b|\baudit firm\b|\bbookkeeping\b", "Accounting"),
    (r"\bpodcast|\byoutube\b|\bcontent creator\b", "Online Audio and Video Media"),
    (r"\bnewspaper\b|\bmagazine\b|\bpublishing\b", "Book and Periodical Publishing"),
    (r"\bfilm (studio|production)\b|\bproduction company\b|\bfilmmaker\b", "Movies, Videos, and Sound"),
    (r"\bsemiconductor", "Semiconductor Manufacturing"),
    (r"\bmanufactur", "Manufacturing"),
    (r"\bretail(er)?\b", "Retail"),
    (r"\bdata (platform|analytics|infrastructure)\b", "Data Infrastructure and Analytics"),
    (r"\bartificial intelligence\b|\bgenerative ai\b|\bmachine learning\b|\bllms?\b|\bai (startup|company|platform)\b",
     "Technology, Information and Internet"),
    (r"\bsoftware\b|\bapp development\b|\bdeveloper tools\b", "Software Development"),
)
_INDUSTRY_RES = tuple((re.compile(p), label) for p, label in _INDUSTRY_RULES)

_FREELANCE_RE = re.compile(
    r"\bfreelanc\w*|\bself[- ]employed\b|\bindependent (consultant|contractor|advisor|designer|developer)\b"
    r"|\bsolopreneur\b|\bfractional\b|\bsole trader\b"
)
_AGENCY_RE = re.compile(r"\bagency\b|\bagencies\b|\b(design|creative|video|web|branding) studio\b")
_STARTUP_RE = re.compile(
    r"\bstealth\b|\bpre-?seed\b|\bseed[- ](stage|round|funded)\b|\bstart-?ups?\b|\bseries a\b|\by ?combinator\b"
    r"|\byc [swfx]\d{2}\b|\btechstars\b|\bfounding (engineer|team|member)\b|\bco-?founder\b|\bfounder\b"
)
_SCALEUP_RE = re.compile(r"\bscale-?ups?\b|\bseries [b-e]\b|\bhyper-?growth\b|\bunicorn\b")
_ENTERPRISE_RE = re.compile(r"\bfortune (500|100|1000)\b|\bglobal 2000\b|\bmultinational\b|\bftse 100\b")
_AGENCY_INDUSTRIES = {"Advertising Services", "Marketing Services", "Public Relations and Communications Services",
                      "Graphic Design", "Design Services"}
_SELF_COMPANIES = {"self-employed", "self employed", "freelance", "freelancer", "independent", "myself"}


def _company_side_text(p: Profile) -> str:
    """Company name + the parts of the headline that describe the employer (after 'at'/'@'/'|')."""
    parts: list[str] = []
    if p.company:
        parts.append(p.company)
    head = p.headline or ""
    m = re.split(r"\s(?:at|@)\s", head, maxsplit=1)
    if len(m) == 2:
        parts.append(m[1])
    elif "|" in head:
        parts.extend(s.strip() for s in head.split("|")[1:])
    return " | ".join(s for s in parts if s)


def _full_text(p: Profile) -> str:
    parts = [p.headline or "", " ; ".join(p.titles or []), p.company or "", (p.summary or "")[:400]]
    return " | ".join(s for s in parts if s)


def industry_from_text(text: str) -> tuple[str, str] | None:
    """First keyword rule matching ``text``: ``(V2 label, matched words)``, else None."""
    low = text.lower()
    for rx, label in _INDUSTRY_RES:
        m = rx.search(low)
        if m:
            return label, m.group(0)
    return None


def is_venture_style(industry: str | None) -> bool | None:
    """Whether companies of ``industry`` are usually called startups / scale-ups when small.

    True for the "Technology, Information and Media" group and tech-heavy labels elsewhere
    (IT services, cyber security, biotech, fintech-like financial services, climate tech...);
    False for other known industries (an 11-50 accounting firm is a small business, not a
    startup); None when the industry is unknown.
    """
    c = canonical_industry(industry) if industry else None
    if c is None:
        return None
    if industry_top_level(c) == "Technology, Information and Media":
        return True
    return c in _VENTURE_LABELS or any(a in _VENTURE_LABELS for a in industry_ancestors(c))


_VENTURE_LABELS = {
    "IT Services and IT Consulting", "Computer and Network Security", "Biotechnology Research",
    "Nanotechnology Research", "Research Services", "Financial Services", "E-Learning Providers",
    "Climate Technology Product Manufacturing", "Robot Manufacturing", "Automation Machinery Manufacturing",
    "Semiconductor Manufacturing", "Computer Hardware Manufacturing", "Medical Equipment Manufacturing",
    "Online and Mail Order Retail", "Services for Renewable Energy", "Renewable Energy Power Generation",
    "Space Research and Technology", "Venture Capital and Private Equity Principals",
}


def company_type_from_text(text: str, band: str | None = None, industry: str | None = None) -> tuple[str, str]:
    """Company type from keywords, an optional size band and an optional V2 industry:
    ``(type, evidence)``.

    Order: freelance words; agency words (or an agency-like industry with <= 200 staff); then,
    with a size band: scale-up / startup words refine bands up to 500; 501+ staff is
    mid-market / enterprise by size alone; up to 500 staff the band gives startup (1-50) or
    scaleup (51-500) when the industry is venture-style or unknown, while a known traditional
    industry gives mid-market for 51-500 and ``unknown`` for 1-50 (a small traditional business
    is neither a startup nor mid-market). Without a band: startup / scale-up / enterprise words;
    else ``("unknown", "")``.
    """
    low = text.lower()
    m = _FREELANCE_RE.search(low)
    if m:
        return "freelance", f"'{m.group(0)}'"
    m = _AGENCY_RE.search(low)
    if m:
        return "agency", f"'{m.group(0)}'"
    if industry in _AGENCY_INDUSTRIES and band in ("1-10", "11-50", "51-200"):
        return "agency", f"{industry}, {band} employees"
    start, scale = _STARTUP_RE.search(low), _SCALEUP_RE.search(low)
    if band:
        small = band in ("1-10", "11-50", "51-200", "201-500")
        if small and scale:
            return "scaleup", f"'{scale.group(0)}', {band} employees"
        if small and start and band in ("1-10", "11-50", "51-200"):
            return "startup", f"'{start.group(0)}', {band} employees"
        by_band = company_type_from_band(band)
        if small and is_venture_style(industry) is False:
            if band in ("51-200", "201-500"):
                return "mid-market", f"{band} employees, {industry}"
            return "unknown", f"{band} employees, {industry}: small traditional business"
        return by_band, f"{band} employees"
    if scale:
        return "scaleup", f"'{scale.group(0)}'"
    if start:
        return "startup", f"'{start.group(0)}'"
    m = _ENTERPRISE_RE.search(low)
    if m:
        return "enterprise", f"'{m.group(0)}'"
    return "unknown", ""


# --------------------------------------------------------------------------- offline classifier

_label_cache: dict[str, np.ndarray] = {}
_label_lock = threading.Lock()


class OfflineClassifier:
    """Keyword rules, then nearest V2 label by embedding (``embedder`` defaults to WordLlama).

    The embedding guess is kept only when the best label's cosine similarity stands ``min_z``
    standard deviations above the mean over all labels and at least ``min_margin`` above the
    runner-up (scale-free, so it works for any embedder). Label vectors are computed once per
    embedder name and process.
    """

    def __init__(self, embedder: Any = None, min_z: float = 5.0, min_margin: float = 0.03):
        if embedder is None:
            from .embeddings.local import WordLlamaEmbedder

            embedder = WordLlamaEmbedder()
        self.embedder = embedder
        self.min_z = min_z
        self.min_margin = min_margin

    def _labels(self) -> np.ndarray:
        name = self.embedder.name
        with _label_lock:
            mat = _label_cache.get(name)
        if mat is None:
            mat = np.asarray(self.embedder.embed(list(INDUSTRIES)), dtype=np.float32)
            with _label_lock:
                _label_cache[name] = mat
        return mat

    def nearest_labels(self, texts: Sequence[str]) -> list[tuple[str | None, float]]:
        """For each text: ``(V2 label, cosine)`` when the nearest label stands out, else ``(None, best cosine)``."""
        if not texts:
            return []
        vecs = np.asarray(self.embedder.embed(list(texts)), dtype=np.float32)
        sims = vecs @ self._labels().T
        out: list[tuple[str | None, float]] = []
        for row, v in zip(sims, vecs):
            if not v.any():
                out.append((None, 0.0))
                continue
            order = np.argsort(-row)
            best, second = float(row[order[0]]), float(row[order[1]])
            std = float(row.std()) or 1e-6
            z = (best - float(row.mean())) / std
            ok = z >= self.min_z and best - second >= self.min_margin
            out.append((INDUSTRIES[order[0]] if ok else None, best))
        return out

    def snap_label(self, label: str) -> str | None:
        """V2 label for a free-form industry name: exact/alias match, else the nearest label when
        it stands out (used for LLM answers and unknown source labels)."""
        c = canonical_industry(label)
        if c:
            return c
        return self.nearest_labels([label])[0][0]

    def explain_many(self, profiles: Sequence[Profile]) -> list[tuple[str | None, str, str, str]]:
        """Offline evidence per profile: ``(industry or None, industry evidence, company type, type evidence)``."""
        industries: list[tuple[str | None, str]] = [(None, "")] * len(profiles)
        need_embed: list[int] = []
        for i, p in enumerate(profiles):
            comp = _company_side_text(p)
            hit = industry_from_text(comp) if comp else None
            if hit is None:
                hit = industry_from_text(_full_text(p))
            if hit:
                industries[i] = (hit[0], f"'{hit[1]}' -> {hit[0]}")
            elif comp:
                need_embed.append(i)
        if need_embed:
            texts = [_company_side_text(profiles[i]) for i in need_embed]
            for i, text, (label, cos) in zip(need_embed, texts, self.nearest_labels(texts)):
                if label:
                    industries[i] = (label, f"nearest label to \"{text[:60]}\" ({cos:.2f})")
        out: list[tuple[str | None, str, str, str]] = []
        for i, p in enumerate(profiles):
            ind, ind_why = industries[i]
            if (p.company or "").strip().lower() in _SELF_COMPANIES:
                ctype, type_why = "freelance", f"company '{p.company}'"
            else:
                ctype, type_why = company_type_from_text(_full_text(p), _band(p), ind)
            out.append((ind, ind_why, ctype, type_why))
        return out

    def classify_many(self, profiles: Sequence[Profile]) -> list[Classification]:
        """Offline classification of every profile (no network); ``source`` is ``"offline"``."""
        return [
            Classification(industry=ind, company_type=ctype, reasoning=_reason(ind, ind_why, ctype, type_why),
                           source="offline")
            for ind, ind_why, ctype, type_why in self.explain_many(profiles)
        ]


def _band(p: Profile) -> str | None:
    if not p.company_size:
        return None
    return p.company_size if p.company_size in _BANDS else parse_size_band(p.company_size)


_BANDS = set(SIZE_BANDS)


def _reason(ind: str | None, ind_why: str, ctype: str, type_why: str) -> str:
    a = f"industry: {ind_why}" if ind else "industry: unknown (no evidence)"
    b = f"type: {type_why} -> {ctype}" if type_why else f"type: {ctype}"
    return f"{a} · {b}"


# --------------------------------------------------------------------------- LLM path

LLM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "leads": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "industry": {"type": "string"},
                    "company_type": {"type": "string", "enum": list(COMPANY_TYPES)},
                    "reasoning": {"type": "string"},
                },
                "required": ["id", "industry", "company_type", "reasoning"],
                "additionalProperties": False,
            },
        }
    },
    "required": ["leads"],
    "additionalProperties": False,
}

_SYSTEM_PROMPT = (
    "You classify the CURRENT EMPLOYER of LinkedIn members for B2B lead qualification.\n"
    "For each lead return:\n"
    "- industry: the employer's industry as one exact label of LinkedIn Industry Codes V2 (list below), "
    "or \"unknown\" when the text gives no evidence. Classify the company, not the person's job function "
    "(a CFO of a software company is in Software Development).\n"
    "- company_type: startup (young, venture-style, roughly under 50 staff), scaleup (fast-growing, "
    "roughly 50-500 staff), mid-market (established, roughly 500-1000 staff), enterprise (1000+ staff), "
    "agency (services agency: marketing, creative, design, development, recruiting), freelance "
    "(self-employed, independent, fractional), or unknown (also for a small traditional business such as a "
    "local accounting firm or workshop, which is neither a startup nor mid-market).\n"
    "- reasoning: at most 20 words naming the evidence.\n"
    "Use company size and company industry when given. Never guess from the person's name.\n"
    "LinkedIn Industry Codes V2 labels:\n" + "\n".join(INDUSTRIES)
)


def _lead_payload(i: int, p: Profile) -> dict[str, Any]:
    d: dict[str, Any] = {"id": i}
    for key in ("headline", "company", "company_size", "industry", "location"):
        v = getattr(p, key)
        if v:
            d["company_industry" if key == "industry" else key] = v
    if p.titles:
        d["current_titles"] = p.titles[:3]
    if p.summary:
        d["summary"] = p.summary[:500]
    if p.past_roles:
        d["past_roles"] = p.past_roles[:2]
    return d


def _llm_batch(llm: Any, batch: list[tuple[int, Profile]]) -> dict[int, dict[str, Any]]:
    leads = [_lead_payload(i, p) for i, p in batch]
    messages = [
        {"role": "system", "content": _SYSTEM_PROMPT},
        {"role": "user", "content": "Classify these leads:\n" + json.dumps(leads, ensure_ascii=False)},
    ]
    data = llm.complete_json(messages, LLM_SCHEMA, "lead_classification")
    wanted = {i for i, _ in batch}
    out: dict[int, dict[str, Any]] = {}
    for item in data.get("leads") or []:
        try:
            i = int(item["id"])
        except (KeyError, TypeError, ValueError):
            continue
        if i in wanted:
            out[i] = item
    return out


# --------------------------------------------------------------------------- public API


def classify(profile: Profile, *, llm: Any = None, embedder: Any = None) -> Classification:
    """Classify one lead; see :func:`classify_many`."""
    return classify_many([profile], llm=llm, embedder=embedder)[0]


def classify_many(
    profiles: Sequence[Profile],
    *,
    llm: Any = None,
    embedder: Any = None,
    llm_batch_size: int = 20,
    max_workers: int = 4,
) -> list[Classification]:
    """Classify leads: one :class:`Classification` per profile, in input order.

    Company data first (``Profile.industry`` canonicalised to V2, ``Profile.company_size`` band
    -> type), then ``llm`` (an :class:`icp_engine.llm.OpenAIChat` or anything with the same
    ``complete_json``) for leads still missing a field, in batches of ``llm_batch_size`` on up to
    ``max_workers`` threads, then the offline classifier (``embedder`` for nearest-label search;
    WordLlama when None). LLM failures (HTTP errors after retries, unusable answers) are logged
    and those leads fall back to the offline classifier, so this never raises for a service
    outage.
    """
    n = len(profiles)
    if n == 0:
        return []
    offline = OfflineClassifier(embedder)
    ind: list[str | None] = [None] * n
    ind_why: list[str] = [""] * n
    ind_src: list[str] = [""] * n
    typ: list[str | None] = [None] * n
    typ_why: list[str] = [""] * n
    typ_src: list[str] = [""] * n

    # 1. company data from enrichment
    for i, p in enumerate(profiles):
        src = "apify" if (p.source or "").startswith("apify") else "profile"
        if p.industry:
            c = canonical_industry(p.industry)
            if c:
                ind[i], ind_src[i] = c, src
                ind_why[i] = f"company industry '{p.industry}'" + (f" -> {c}" if c != p.industry else "")
        band = _band(p)
        if band:
            t, why = company_type_from_text(_full_text(p), band, ind[i])
            typ[i], typ_why[i], typ_src[i] = t, why, src
    unresolved_raw = [i for i, p in enumerate(profiles) if p.industry and ind[i] is None]
    for i in unresolved_raw:  # a source label outside the taxonomy: snap it when it clearly matches
        snapped = offline.snap_label(profiles[i].industry or "")
        if snapped:
            ind[i] = snapped
            ind_src[i] = "apify" if (profiles[i].source or "").startswith("apify") else "profile"
            ind_why[i] = f"company industry '{profiles[i].industry}' ≈ {snapped}"

    # 2. LLM for what is still missing
    pending = [i for i in range(n) if ind[i] is None or typ[i] is None]
    if llm is not None and pending:
        batches = [pending[k:k + llm_batch_size] for k in range(0, len(pending), llm_batch_size)]

        def run(batch: list[int]) -> dict[int, dict[str, Any]]:
            try:
                return _llm_batch(llm, [(i, profiles[i]) for i in batch])
            except Exception as exc:  # noqa: BLE001 - any LLM failure falls back to offline
                log.warning("LLM classification of %d leads failed, using the offline classifier: %s",
                            len(batch), exc)
                return {}

        if len(batches) == 1 or max_workers <= 1:
            answers = [run(b) for b in batches]
        else:
            with ThreadPoolExecutor(max_workers=min(max_workers, len(batches))) as pool:
                answers = list(pool.map(run, batches))
        for ans in answers:
            for i, item in ans.items():
                reason = str(item.get("reasoning") or "").strip()[:200]
                if ind[i] is None:
                    raw = str(item.get("industry") or "").strip()
                    label = None if raw.lower() in ("", "unknown", "none", "n/a") else offline.snap_label(raw)
                    ind[i], ind_src[i] = label, "llm"
                    ind_why[i] = (f"LLM: {reason}" if label else "unknown (LLM: no evidence)")
                if typ[i] is None:
                    t = canonical_company_type(str(item.get("company_type") or "")) or "unknown"
                    typ[i], typ_src[i], typ_why[i] = t, "llm", f"LLM: {reason}"

    # 3. offline for the rest
    rest = [i for i in range(n) if (ind[i] is None and not ind_src[i]) or typ[i] is None]
    if rest:
        for i, (o_ind, o_ind_why, o_typ, o_typ_why) in zip(rest, offline.explain_many([profiles[i] for i in rest])):
            if ind[i] is None and not ind_src[i]:
                ind[i], ind_why[i], ind_src[i] = o_ind, o_ind_why, "offline"
            if typ[i] is None:
                typ[i], typ_why[i], typ_src[i] = o_typ, o_typ_why, "offline"

    out: list[Classification] = []
    for i in range(n):
        t = typ[i] if typ[i] in COMPANY_TYPES else "unknown"
        isrc = ind_src[i] or "offline"
        tsrc = typ_src[i] or "offline"
        source = isrc if isrc == tsrc else f"{isrc}+{tsrc}"
        if ind[i]:
            a = f"industry: {ind_why[i]}" if ind_why[i] else f"industry: {ind[i]}"
        else:
            a = "industry: unknown (no evidence)"
        if typ_why[i].startswith("LLM:"):
            b = f"type: {t} ({typ_why[i]})" if typ_why[i] != ind_why[i] else f"type: {t}"
        else:
            b = f"type: {typ_why[i]} -> {t}" if typ_why[i] else f"type: {t}"
        out.append(Classification(industry=ind[i], company_type=t, reasoning=f"{a} · {b}", source=source))
    return out
