"""Optional LLM judgement of the uncertain band (with ``OPENAI_API_KEY``).

Leads whose probability lies in the judge's ``band`` (default 0.3-0.7: the "possible" range
and its edges) and that are not excluded are sent to a chat model, batched, with the ICP. The
model answers with structured output (a strict JSON schema): for each lead and each of the ICP's
criteria a verdict ``match`` / ``partial`` / ``mismatch`` / ``unknown`` and a short reason. The
verdicts replace the offline evidence of those criteria and the probability is recombined with
the same rules (:func:`icp_engine.scoring.calibration.combine`); ``unknown`` keeps the offline
evidence. A lead's judgement is cached per (ICP version, profile hash, model), so the same lead
and ICP version keep the same score whatever the batch and however often they are scored.

* :class:`JudgeCache` - where verdicts are kept; :class:`MemoryJudgeCache` in process,
  :class:`PostgresJudgeCache` in the table ``llm_judgements`` (what runs use).
* :class:`OpenAIJudge` - the official ``openai`` SDK over ``httpx`` (``transport`` for tests).
* :func:`estimate_cost` - tokens and US dollars before a run.
* :func:`apply_judgement` - called by :meth:`icp_engine.scoring.scorer.Scorer.score`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from dataclasses import dataclass
from typing import Any, Protocol, Sequence

from ..domain import ICP, Profile, bucket_for
from . import calibration as cal

log = logging.getLogger(__name__)

__all__ = ["JudgeCache", "MemoryJudgeCache", "PostgresJudgeCache", "OpenAIJudge", "estimate_cost", "profile_hash",
           "apply_judgement", "judge_estimate", "describe_estimate", "split_key", "VERDICTS", "PRICES_USD_PER_MTOK",
           "DEFAULT_BAND"]

VERDICTS: tuple[str, ...] = ("match", "partial", "mismatch", "unknown")

#: Title probability and criterion fit given by each verdict (``unknown`` keeps the offline value).
TITLE_P_OF_VERDICT = {"match": 0.9, "partial": 0.5, "mismatch": 0.05}
FIT_OF_VERDICT = {"match": 1.0, "partial": 0.5, "mismatch": 0.0}

#: USD per million tokens (input, output), OpenAI's published API prices for these models.
PRICES_USD_PER_MTOK: dict[str, tuple[float, float]] = {
    "gpt-5": (1.25, 10.0),
    "gpt-5-mini": (0.25, 2.0),
    "gpt-5-nano": (0.05, 0.4),
    "gpt-4.1-mini": (0.4, 1.6),
    "gpt-4o-mini": (0.15, 0.6),
}

#: Token budget per request and per lead used by :func:`estimate_cost` (measured on the finance
#: sample: the instructions and ICP ~350 tokens; a profile ~60; a verdict ~30 per criterion; a
#: reasoning model's hidden reasoning ~150 per lead at ``reasoning_effort=low``).
PROMPT_TOKENS_PER_REQUEST = 350
PROMPT_TOKENS_PER_LEAD = 60
OUTPUT_TOKENS_PER_CRITERION = 30
REASONING_TOKENS_PER_LEAD = 150

#: Probability range whose leads are judged by default (the "possible" band and its edges).
DEFAULT_BAND: tuple[float, float] = (0.3, 0.7)


class JudgeCache(Protocol):
    """Verdict store keyed by ``"<icp version>:<profile hash>:<model>"`` -> JSON-safe dict."""

    def get_many(self, keys: Sequence[str]) -> dict[str, dict[str, Any]]: ...

    def put_many(self, items: dict[str, dict[str, Any]]) -> None: ...


class MemoryJudgeCache:
    """In-process :class:`JudgeCache` (a dict, thread-safe)."""

    def __init__(self) -> None:
        self._d: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def get_many(self, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
        with self._lock:
            return {k: self._d[k] for k in keys if k in self._d}

    def put_many(self, items: dict[str, dict[str, Any]]) -> None:
        with self._lock:
            self._d.update(items)

    def __len__(self) -> int:
        return len(self._d)


def split_key(key: str) -> tuple[str, str, str]:
    """``"<icp version>:<profile hash>:<model>"`` -> its three parts (the model may hold ``:``).
    Raises ``ValueError`` for a key without two ``:``."""
    ver, ph, model = key.split(":", 2)
    return ver, ph, model


class PostgresJudgeCache:
    """:class:`JudgeCache` in Postgres (table ``llm_judgements``, SQL in
    :mod:`icp_engine.db.judgements`), shared by every process using the database: a lead judged
    for an ICP version by a model is never sent again. ``db``: an :class:`icp_engine.db.Database`.
    A key already stored keeps its first verdicts. Database errors propagate
    (:class:`sqlalchemy.exc.SQLAlchemyError`)."""

    def __init__(self, db: Any) -> None:
        self.db = db

    def get_many(self, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
        from ..db import judgements

        parts = {k: split_key(k) for k in keys}
        if not parts:
            return {}
        with self.db.connect() as conn:
            got = judgements.get_many(conn, list(parts.values()))
        return {k: got[p] for k, p in parts.items() if p in got}

    def put_many(self, items: dict[str, dict[str, Any]]) -> None:
        from ..db import judgements

        if not items:
            return
        with self.db.begin() as conn:
            judgements.put_many(conn, {split_key(k): v for k, v in items.items()})


def profile_document(p: Profile) -> dict[str, Any]:
    """What the judge sees of a lead (no name, no URL): a JSON-safe dict of the evidence."""
    d = {"headline": p.headline, "titles": list(p.titles or [])[:3], "company": p.company,
         "industry": p.industry, "company_size": p.company_size, "location": p.location,
         "summary": (p.summary or "")[:400] or None, "skills": list(p.skills or [])[:10],
         "past_roles": list(p.past_roles or [])[:2]}
    return {k: v for k, v in d.items() if v}


def profile_hash(p: Profile) -> str:
    """SHA-1 of :func:`profile_document` (sorted JSON): changes when the evidence changes."""
    return hashlib.sha1(json.dumps(profile_document(p), sort_keys=True).encode()).hexdigest()


def icp_criteria(icp: ICP) -> list[str]:
    """The ICP's criteria the judge rules on, in a fixed order."""
    out = []
    if icp.target_titles or icp.functions or icp.seniorities:
        out.append("title")
    if icp.target_industries:
        out.append("industry")
    if icp.company_sizes:
        out.append("size")
    if icp.company_types:
        out.append("company_type")
    if icp.keywords:
        out.append("keywords")
    if icp.locations:
        out.append("location")
    return out


def response_schema(criteria: Sequence[str]) -> dict[str, Any]:
    """Strict JSON schema of the judge's answer for these criteria."""
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["leads"],
        "properties": {"leads": {"type": "array", "items": {
            "type": "object", "additionalProperties": False, "required": ["id", "criteria"],
            "properties": {
                "id": {"type": "string"},
                "criteria": {"type": "array", "items": {
                    "type": "object", "additionalProperties": False,
                    "required": ["criterion", "verdict", "reason"],
                    "properties": {
                        "criterion": {"type": "string", "enum": list(criteria)},
                        "verdict": {"type": "string", "enum": list(VERDICTS)},
                        "reason": {"type": "string"},
                    }}},
            }}}},
    }


SYSTEM_PROMPT = (
    "You qualify LinkedIn followers for a B2B content agency's client. For each lead and each "
    "criterion of the Ideal Customer Profile (ICP), answer match, partial (related: an adjacent "
    "role, a neighbouring industry or size band), mismatch, or unknown (the profile does not say: "
    "never guess). Give a reason of at most 15 words quoting the evidence. Answer for every lead "
    "id and every criterion listed."
)


def _user_message(icp: ICP, criteria: Sequence[str], leads: Sequence[tuple[str, Profile]]) -> str:
    icp_d = {k: v for k, v in {
        "titles": icp.target_titles, "functions": icp.functions, "seniority_levels": icp.seniorities,
        "industries": icp.target_industries, "company_sizes": icp.company_sizes,
        "company_types": icp.company_types, "keywords": icp.keywords, "locations": icp.locations,
        "notes": icp.notes}.items() if v}
    return json.dumps({"icp": icp_d, "criteria": list(criteria),
                       "leads": [{"id": lid, **profile_document(p)} for lid, p in leads]}, ensure_ascii=False)


def estimate_cost(n_leads: int, n_criteria: int, model: str = "gpt-5-mini", batch_size: int = 20) -> dict[str, Any]:
    """Cost before a run of judging ``n_leads`` leads on ``n_criteria`` criteria.

    Returns ``{"leads", "requests", "input_tokens", "output_tokens", "usd", "model"}``; ``usd`` is
    None for a model missing from :data:`PRICES_USD_PER_MTOK`. Token counts use the budgets above
    (an estimate; the OpenAI usage of the run is the actual figure).
    """
    n = max(0, int(n_leads))
    reqs = -(-n // max(1, batch_size)) if n else 0
    inp = reqs * PROMPT_TOKENS_PER_REQUEST + n * PROMPT_TOKENS_PER_LEAD
    out = n * (OUTPUT_TOKENS_PER_CRITERION * max(1, n_criteria) + 10)
    if model.startswith(("gpt-5", "o")):
        out += n * REASONING_TOKENS_PER_LEAD
    price = PRICES_USD_PER_MTOK.get(model)
    usd = None if price is None else round((inp * price[0] + out * price[1]) / 1e6, 4)
    return {"leads": n, "requests": reqs, "input_tokens": inp, "output_tokens": out, "usd": usd, "model": model}


def judge_estimate(n_leads: int, icp: ICP, settings: Any, batch_size: int = 20) -> dict[str, Any]:
    """Upper bound of a run's LLM judgement: :func:`estimate_cost` for ``n_leads`` leads on the
    ICP's criteria with ``settings.openai_chat_model``, plus ``"band"`` (the probability range
    judged) and ``"upper_bound": True`` (only the leads that land in the band are sent, and
    verdicts already in the cache cost nothing)."""
    model = getattr(settings, "openai_chat_model", None) or "gpt-5-mini"
    est = estimate_cost(n_leads, len(icp_criteria(icp)), model, batch_size)
    est.update(band=list(DEFAULT_BAND), upper_bound=True)
    return est


def describe_estimate(est: dict[str, Any]) -> str:
    """One line for people: ``"LLM judgement: at most 120 leads in 6 requests, about $0.04
    (gpt-5-mini)"``."""
    usd = est.get("usd")
    cost = f"about ${usd:.2f}" if isinstance(usd, (int, float)) else "cost unknown for this model"
    return (f"LLM judgement: at most {est.get('leads', 0)} leads in {est.get('requests', 0)} requests, "
            f"{cost} ({est.get('model')})")


class OpenAIJudge:
    """LLM judge over the official ``openai`` SDK (Chat Completions, structured output).

    ``OpenAIJudge(api_key, model="gpt-5-mini", base_url=None, batch_size=20, band=(0.3, 0.7),
    cache=None, transport=None)``: ``transport`` (e.g. ``httpx.MockTransport``) goes into
    ``httpx.Client(transport=...)`` given to the SDK as ``http_client``. ``cache`` defaults to a
    :class:`MemoryJudgeCache`. Counters ``requests_sent``, ``prompt_tokens``,
    ``completion_tokens`` give the actual cost. Raises ``ValueError`` without a key.
    """

    def __init__(self, api_key: str | None, model: str = "gpt-5-mini", *, base_url: str | None = None,
                 batch_size: int = 20, band: tuple[float, float] = DEFAULT_BAND, cache: JudgeCache | None = None,
                 transport: Any = None, max_retries: int = 2, timeout_s: float = 120.0):
        if not api_key:
            raise ValueError("OpenAIJudge needs OPENAI_API_KEY")
        import httpx
        import openai

        self.model = model
        self.name = f"openai-{model}"
        self.batch_size = max(1, int(batch_size))
        self.band = (float(band[0]), float(band[1]))
        self.cache: JudgeCache = cache if cache is not None else MemoryJudgeCache()
        http_client = httpx.Client(transport=transport, timeout=timeout_s) if transport is not None else httpx.Client(timeout=timeout_s)
        self._client = openai.OpenAI(api_key=api_key, base_url=base_url, http_client=http_client,  # type: ignore[arg-type]  # the SDK types httpx2; httpx clients work
                                     max_retries=max_retries)
        self._lock = threading.Lock()
        self.requests_sent = 0
        self.prompt_tokens = 0
        self.completion_tokens = 0

    @classmethod
    def from_settings(cls, settings: Any, **kw: Any) -> OpenAIJudge:
        """From :class:`icp_engine.config.Settings` (``openai_api_key``, ``openai_base_url``,
        ``openai_chat_model``)."""
        return cls(getattr(settings, "openai_api_key", None), getattr(settings, "openai_chat_model", None) or "gpt-5-mini",
                   base_url=getattr(settings, "openai_base_url", None), **kw)

    def estimate(self, n_leads: int, icp: ICP) -> dict[str, Any]:
        """:func:`estimate_cost` for this judge's model and batch size."""
        return estimate_cost(n_leads, len(icp_criteria(icp)), self.model, self.batch_size)

    def judge(self, icp: ICP, leads: Sequence[tuple[str, Profile]]) -> dict[str, dict[str, Any]]:
        """Verdicts per lead id: ``{id: {criterion: {"verdict", "reason"}}}`` for the given
        ``(id, profile)`` pairs, in batches of ``batch_size`` (one request each). Leads missing
        from an answer are left out. Raises ``openai.APIError`` subclasses on HTTP failure after
        the SDK's retries, ``ValueError`` on an answer that is not JSON."""
        criteria = icp_criteria(icp)
        out: dict[str, dict[str, Any]] = {}
        if not criteria:
            return out
        schema = response_schema(criteria)
        for start in range(0, len(leads), self.batch_size):
            chunk = list(leads[start:start + self.batch_size])
            kwargs: dict[str, Any] = {}
            if self.model.startswith(("gpt-5", "o")):
                kwargs["reasoning_effort"] = "low"
            resp = self._client.chat.completions.create(
                model=self.model,
                messages=[{"role": "system", "content": SYSTEM_PROMPT},
                          {"role": "user", "content": _user_message(icp, criteria, chunk)}],
                response_format={"type": "json_schema",
                                 "json_schema": {"name": "lead_verdicts", "strict": True, "schema": schema}},
                **kwargs,
            )
            with self._lock:
                self.requests_sent += 1
                if resp.usage is not None:
                    self.prompt_tokens += int(resp.usage.prompt_tokens or 0)
                    self.completion_tokens += int(resp.usage.completion_tokens or 0)
            msg = resp.choices[0].message
            if getattr(msg, "refusal", None) or not msg.content:
                continue
            data = json.loads(msg.content)
            ids = {lid for lid, _ in chunk}
            for item in data.get("leads") or []:
                lid = str(item.get("id"))
                if lid not in ids:
                    continue
                v: dict[str, Any] = {}
                for c in item.get("criteria") or []:
                    if c.get("criterion") in criteria and c.get("verdict") in VERDICTS:
                        v[c["criterion"]] = {"verdict": c["verdict"], "reason": str(c.get("reason") or "")[:200]}
                out[lid] = v
        return out


@dataclass
class _Pending:
    index: int
    key: str
    lid: str


def apply_judgement(scorer: Any, prep: Any, profiles: Sequence[Profile], results: list[Any], fits: list[float]) -> None:
    """Re-score the batch's uncertain leads with the judge's verdicts (in place).

    Selects leads not excluded whose probability is in ``scorer.judge.band``; looks their
    verdicts up in the judge's cache (key: ICP version, profile hash, model), asks the judge for
    the rest and stores them; then recombines: the title verdict sets the title probability
    (:data:`TITLE_P_OF_VERDICT`), the others set their criterion's fit (:data:`FIT_OF_VERDICT`),
    ``unknown`` keeps the offline evidence. ``fits[i]`` and the result are updated;
    ``components["judge"]`` holds ``{"model", "verdicts"}``.
    """
    from .scorer import icp_version_key

    judge = scorer.judge
    lo, hi = judge.band
    ver = icp_version_key(prep.icp)
    pending: list[_Pending] = []
    for i, r in enumerate(results):
        if r.components.get("excluded") or not (lo <= fits[i] <= hi):
            continue
        ph = profile_hash(profiles[i])
        pending.append(_Pending(i, f"{ver}:{ph}:{judge.model}", ph[:12]))
    if not pending:
        return
    cached = judge.cache.get_many([x.key for x in pending])
    todo = [x for x in pending if x.key not in cached]
    if todo:
        uniq: dict[str, _Pending] = {}
        for x in todo:
            uniq.setdefault(x.key, x)
        try:
            got = judge.judge(prep.icp, [(x.lid, profiles[x.index]) for x in uniq.values()])
        except Exception as exc:  # noqa: BLE001 - an unavailable judge keeps the offline scores; the run goes on
            why = f"{type(exc).__name__}: {str(exc)[:160]}"
            log.warning("LLM judgement failed, offline scores kept: %s", why)
            for x in todo:
                results[x.index].components["judge"] = {"model": judge.model, "error": why}
                results[x.index].match_reasoning += f" · not judged ({judge.model} unavailable)"
            got = {}
        new = {x.key: got[x.lid] for x in uniq.values() if x.lid in got}
        judge.cache.put_many(new)
        cached.update(new)
    for x in pending:
        verdicts = cached.get(x.key)
        if not verdicts:
            continue
        r = results[x.index]
        c = r.components
        p_title = c.get("title")
        if prep.role == "none":
            p_title = cal.NO_TITLE_BASE
        elif p_title is None:
            p_title = cal.TITLE_PRIOR
        tv = (verdicts.get("title") or {}).get("verdict")
        if tv in TITLE_P_OF_VERDICT:
            p_title = TITLE_P_OF_VERDICT[tv]
        hard = {}
        for name in prep.hard:
            v = (verdicts.get(name) or {}).get("verdict")
            hard[name] = FIT_OF_VERDICT[v] if v in FIT_OF_VERDICT else c.get(name)
        soft = {}
        for name in prep.soft:
            v = (verdicts.get(name) or {}).get("verdict")
            soft[name] = FIT_OF_VERDICT[v] if v in FIT_OF_VERDICT else c.get(name)
        prob, factors = cal.combine(float(p_title), hard, soft)
        fits[x.index] = prob
        c["judge"] = {"model": judge.model, "verdicts": verdicts}
        c["factors"] = factors
        c["probability"] = round(prob, 6)
        c["p_keep"] = prob
        r.icp_score = max(0.01, cal.to_score(prob))
        r.bucket = bucket_for(r.icp_score)
        reasons = "; ".join(f"{k} {v['verdict']}: {v['reason']}" for k, v in verdicts.items() if v.get("reason"))
        r.match_reasoning += f" · judged ({judge.model}): {reasons}" if reasons else f" · judged ({judge.model})"
