"""OpenAI extractor: the model reads the transcript and returns quoted ICP items (structured output).

Request (official ``openai`` SDK, Chat Completions with ``response_format`` ``json_schema``,
``strict: true``; OpenAI API reference *Structured Outputs*): one system message with the rules,
one user message with the numbered transcript (``[7] 1:36 Marit (client): ...``). The answer must
match :data:`SCHEMA`: ``{"items": [{"field", "value", "polarity", "audience", "quote", "utterance"}]}``.

Every item must cite a verbatim quote. After the answer, each quote is looked up in the
transcript (whitespace and typographic quotes normalised): items whose quote is not there are
dropped (counted in ``dropped_unquoted``); the timestamp, speaker and side come from the utterance
where the quote was found, never from the model. Industries are mapped to LinkedIn V2 labels and
sizes to LinkedIn bands (:mod:`icp_engine.taxonomy`); items that map to nothing are dropped
(``dropped_unmapped``). Long transcripts are sent in chunks of about 60,000 characters.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx

from ..http import ServiceError
from ..llm import LLMError
from ..taxonomy import canonical_industry, resolve_size_bands
from .extract import FIELDS, ROLE_WEIGHTS, Finding
from ..domain import SIZE_BANDS
from .lexicon import INDUSTRY_LEXICON, find_sizes
from .model import Call

__all__ = ["OpenAIExtractor", "SCHEMA", "SYSTEM_PROMPT"]

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": "string", "enum": list(FIELDS)},
                    "value": {"type": "string"},
                    "polarity": {"type": "string", "enum": ["include", "exclude", "retract"]},
                    "audience": {"type": "string", "enum": ["icp", "content"]},
                    "quote": {"type": "string"},
                    "utterance": {"type": "integer"},
                },
                "required": ["field", "value", "polarity", "audience", "quote", "utterance"],
                "additionalProperties": False,
            },
        }
    },
    "required": ["items"],
    "additionalProperties": False,
}

SYSTEM_PROMPT = """You read discovery calls between a LinkedIn content agency and its client.
Extract who the CLIENT wants to reach: their Ideal Customer Profile.
Return items with:
- field: target_titles (job titles, in the client's short form, singular: "CFO", "Head of Finance"),
  target_industries (use LinkedIn Industry Codes V2 labels, e.g. "Software Development",
  "Hospitals and Health Care"), company_sizes (employee counts as LinkedIn bands 1-10, 11-50, 51-200,
  201-500, 501-1000, 1001-5000, 5001-10000, 10001+, or a named size such as "mid-market"),
  keywords (company traits such as "venture-backed"), locations, exclusions (people to leave out:
  "student", "recruiter", a competitor type).
- polarity: include (the client wants it), exclude (the client does not want it), retract (the client
  takes back something said earlier, e.g. "actually, forget healthcare").
- audience: icp for buyers; content when the client says these people should read the content but do
  not buy.
- quote: the exact words from the transcript that support the item, copied character for character
  from one line (a sentence or a part of it). Never paraphrase.
- utterance: the number in brackets of the line the quote comes from.
Statements by the client's people count; the agency's questions only count when the client confirms.
Do not extract the client's description of its own company. Do not guess: no quote, no item."""

_MAX_CHARS = 60_000
_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-"})


def _norm(s: str) -> str:
    return " ".join(s.translate(_QUOTES).split()).lower()


class OpenAIExtractor:
    """Extractor using OpenAI chat completions with a strict JSON schema. ``name == "openai"``.

    ``OpenAIExtractor(settings)`` reads ``openai_api_key``, ``openai_base_url``, ``openai_chat_model``,
    ``http_timeout_s``, ``http_max_attempts``. ``http_client``: an ``httpx.Client`` (tests pass one
    with ``httpx.MockTransport``). Raises ``ValueError`` without a key. Counters:
    ``requests_sent``, ``prompt_tokens``, ``completion_tokens``, ``dropped_unquoted``,
    ``dropped_unmapped``.
    """

    name = "openai"

    def __init__(self, settings: Any = None, *, api_key: str | None = None, model: str | None = None,
                 base_url: str | None = None, http_client: httpx.Client | None = None,
                 max_retries: int | None = None, timeout_s: float | None = None):
        import openai

        key = api_key or getattr(settings, "openai_api_key", None)
        if not key:
            raise ValueError("the OpenAI extractor needs OPENAI_API_KEY")
        self.model = model or getattr(settings, "openai_chat_model", None) or "gpt-5-mini"
        attempts = int(getattr(settings, "http_max_attempts", 5) or 5)
        kwargs: dict[str, Any] = {
            "api_key": key,
            "max_retries": max_retries if max_retries is not None else max(0, attempts - 1),
            "timeout": float(timeout_s or getattr(settings, "http_timeout_s", 60.0) or 60.0) * 3,
        }
        base = base_url or getattr(settings, "openai_base_url", None)
        if base:
            kwargs["base_url"] = base
        if http_client is not None:
            kwargs["http_client"] = http_client
        self._openai = openai
        self._client = openai.OpenAI(**kwargs)
        self.requests_sent = 0
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.dropped_unquoted = 0
        self.dropped_unmapped = 0

    # ------------------------------------------------------------------ request
    def _complete(self, messages: list[dict[str, str]]) -> dict[str, Any]:
        openai = self._openai
        body: dict[str, Any] = {
            "model": self.model, "messages": messages,
            "response_format": {"type": "json_schema",
                                "json_schema": {"name": "icp_items", "strict": True, "schema": SCHEMA}},
        }
        if re.match(r"^(gpt-5(?!-chat)|o\d)", self.model):
            body["reasoning_effort"] = "low"
        try:
            resp = self._client.chat.completions.create(**body)
        except openai.APIStatusError as exc:
            raise ServiceError("openai", f"HTTP {exc.status_code}: {str(exc)[:300]}", exc.status_code,
                               str(getattr(exc, "body", ""))[:500]) from exc
        except openai.APIConnectionError as exc:
            raise ServiceError("openai", f"connection failed: {exc}") from exc
        self.requests_sent += 1
        if resp.usage:
            self.prompt_tokens += int(resp.usage.prompt_tokens or 0)
            self.completion_tokens += int(resp.usage.completion_tokens or 0)
        if not resp.choices:
            raise LLMError("answer without choices")
        choice = resp.choices[0]
        if getattr(choice.message, "refusal", None):
            raise LLMError(f"model refused: {choice.message.refusal}")
        if choice.finish_reason == "length":
            raise LLMError("answer cut off (finish_reason=length)")
        try:
            data = json.loads(choice.message.content or "")
        except ValueError as exc:
            raise LLMError(f"answer is not JSON: {str(choice.message.content)[:200]!r}") from exc
        if not isinstance(data, dict) or not isinstance(data.get("items"), list):
            raise LLMError("answer does not follow the schema (no 'items' list)")
        return data

    @staticmethod
    def _chunks(call: Call) -> list[list[int]]:
        chunks: list[list[int]] = [[]]
        size = 0
        for i, u in enumerate(call.utterances):
            n = len(u.text) + 40
            if chunks[-1] and size + n > _MAX_CHARS:
                chunks.append([])
                size = 0
            chunks[-1].append(i)
            size += n
        return chunks

    # ------------------------------------------------------------------ extraction
    def extract(self, call: Call) -> list[Finding]:
        """Findings of ``call`` (roles assigned beforehand); raises ``ServiceError`` / ``LLMError``."""
        out: list[Finding] = []
        for idxs in self._chunks(call):
            lines = [f"[{i}] {call.utterances[i].timestamp or '-'} {call.utterances[i].speaker} "
                     f"({call.utterances[i].role}): {call.utterances[i].text}" for i in idxs]
            user = (f"Call: {call.title}" + (f" ({call.date})" if call.date else "") + "\n"
                    "Speaker sides in brackets: client = the client's people, agency = the agency, unknown = not known.\n\n"
                    + "\n".join(lines))
            data = self._complete([{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}])
            for raw in data["items"]:
                out.extend(self._to_findings(call, raw, idxs))
        return out

    def _locate(self, call: Call, quote: str, hint: Any, idxs: list[int]) -> tuple[int, str] | None:
        q = _norm(quote.strip().strip('"').strip())
        if len(q) < 3:
            return None
        order = ([hint] if isinstance(hint, int) and hint in idxs else []) + [i for i in idxs if i != hint]
        for i in order:
            text = call.utterances[i].text
            norm = _norm(text)
            pos = norm.find(q)
            if pos >= 0:
                # map back to the original characters so the stored quote is verbatim
                flat = " ".join(text.split())
                if _norm(flat) == norm:
                    return i, flat[pos:pos + len(q)]
                return i, quote.strip()
        return None

    def _to_findings(self, call: Call, raw: Any, idxs: list[int]) -> list[Finding]:
        if not isinstance(raw, dict):
            return []
        field_name, value = raw.get("field"), str(raw.get("value") or "").strip()
        polarity = raw.get("polarity")
        if field_name not in FIELDS or polarity not in ("include", "exclude", "retract") or not value:
            self.dropped_unmapped += 1
            return []
        loc = self._locate(call, str(raw.get("quote") or ""), raw.get("utterance"), idxs)
        if loc is None:
            self.dropped_unquoted += 1
            return []
        i, quote = loc
        u = call.utterances[i]
        values: list[str]
        if field_name == "target_industries":
            label = canonical_industry(value) or INDUSTRY_LEXICON.get(value.lower())
            values = [label] if label else []
        elif field_name == "company_sizes":
            hits = find_sizes(value, size_context=True)
            values = [b for b in SIZE_BANDS if any(b in h.bands for h in hits)] or resolve_size_bands(value)
        else:
            values = [value]
        if not values:
            self.dropped_unmapped += 1
            return []
        base: dict[str, Any] = dict(quote=quote, call_id=call.id, call_label=call.label, call_date=call.date, timestamp=u.timestamp,
                    seconds=u.seconds, speaker=u.speaker, role=u.role,
                    weight=ROLE_WEIGHTS.get(u.role, ROLE_WEIGHTS["unknown"]),
                    audience="content" if raw.get("audience") == "content" else "icp", order=i, basis="llm")
        return [Finding(field=field_name, value=v, polarity=polarity, **base) for v in values]

    def close(self) -> None:
        self._client.close()
