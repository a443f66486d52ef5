"""OpenAI chat completions with structured output (JSON schema), over the project's HTTP discipline.

Request (OpenAI API reference, *Chat Completions* and *Structured Outputs*)::

    POST {base}/chat/completions
    {"model": "gpt-5-mini", "messages": [{"role": "system", "content": "..."},
                                         {"role": "user", "content": "..."}],
     "response_format": {"type": "json_schema",
                         "json_schema": {"name": "...", "strict": true, "schema": {...}}},
     "reasoning_effort": "low"}          # only for reasoning models (gpt-5*, o1/o3/o4*)

    -> {"id": "chatcmpl-...", "object": "chat.completion", "model": "gpt-5-mini-2025-08-07",
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": "{...json...}", "refusal": null}}],
        "usage": {"prompt_tokens": N, "completion_tokens": M, "total_tokens": N+M, ...}}

No ``temperature`` is sent: GPT-5 models reject any value but the default (1). Strict schemas
need every property listed in ``required`` and ``additionalProperties: false`` on each object.
"""

from __future__ import annotations

import json
import re
import threading
from typing import Any

import httpx

from .http import ServiceError, make_client, send
from .errors import ExternalServiceError

__all__ = ["OpenAIChat", "LLMError"]

_REASONING_MODEL = re.compile(r"^(gpt-5(?!-chat)|o\d)")


class LLMError(ExternalServiceError):
    """The model answered but the answer is unusable (refusal, cut off, not JSON for the schema)."""


class OpenAIChat:
    """Minimal OpenAI chat client for JSON-schema answers.

    ``OpenAIChat(settings)`` reads ``openai_api_key``, ``openai_base_url``, ``openai_chat_model``,
    ``http_timeout_s`` and ``http_max_attempts``; keyword arguments override them. ``name`` is
    ``"openai-<model>"``. Counters ``requests_sent``, ``prompt_tokens``, ``completion_tokens``
    (thread-safe) support cost reporting. ``transport`` is for tests (``httpx.MockTransport``).
    Raises ``ValueError`` without an API key.
    """

    def __init__(
        self,
        settings: Any = None,
        *,
        api_key: str | None = None,
        model: str | None = None,
        base_url: str | None = None,
        timeout_s: float | None = None,
        max_attempts: int | None = None,
        reasoning_effort: str | None = "low",
        transport: httpx.BaseTransport | None = None,
    ):
        api_key = api_key or getattr(settings, "openai_api_key", None)
        if not api_key:
            raise ValueError("OpenAIChat needs OPENAI_API_KEY")
        self.model = model or getattr(settings, "openai_chat_model", None) or "gpt-5-mini"
        self.name = f"openai-{self.model}"
        self.max_attempts = int(max_attempts or getattr(settings, "http_max_attempts", 5) or 5)
        self.reasoning_effort = reasoning_effort
        base = base_url or getattr(settings, "openai_base_url", None) or "https://api.openai.com/v1"
        self._client = make_client(
            base.rstrip("/"),
            headers={"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"},
            timeout_s=float(timeout_s or getattr(settings, "http_timeout_s", 60.0) or 60.0),
            transport=transport,
        )
        self._lock = threading.Lock()
        self.requests_sent = 0
        self.prompt_tokens = 0
        self.completion_tokens = 0

    def complete_json(self, messages: list[dict[str, str]], schema: dict[str, Any], schema_name: str) -> dict[str, Any]:
        """Send ``messages``; return the assistant's answer parsed as JSON matching ``schema``.

        ``schema`` is a strict JSON schema (object at the top). Raises
        :class:`icp_engine.http.ServiceError` on HTTP failure (after retries for 429/5xx) and
        :class:`LLMError` on a refusal, a truncated answer (``finish_reason`` ``length``) or
        content that is not a JSON object.
        """
        body: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": schema_name, "strict": True, "schema": schema},
            },
        }
        if self.reasoning_effort and _REASONING_MODEL.match(self.model):
            body["reasoning_effort"] = self.reasoning_effort
        resp = send(self._client, "POST", "/chat/completions", service="openai", max_attempts=self.max_attempts,
                    json=body)
        try:
            payload = resp.json()
            choice = payload["choices"][0]
            message = choice["message"]
            usage = payload.get("usage") or {}
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise ServiceError("openai", f"malformed chat completion: {exc}", resp.status_code, resp.text[:500]) from exc
        with self._lock:
            self.requests_sent += 1
            self.prompt_tokens += int(usage.get("prompt_tokens") or 0)
            self.completion_tokens += int(usage.get("completion_tokens") or 0)
        if message.get("refusal"):
            raise LLMError(f"model refused: {message['refusal']}")
        if choice.get("finish_reason") == "length":
            raise LLMError("answer cut off (finish_reason=length)")
        content = message.get("content")
        try:
            data = json.loads(content or "")
        except ValueError as exc:
            raise LLMError(f"answer is not JSON: {str(content)[:200]!r}") from exc
        if not isinstance(data, dict):
            raise LLMError("answer is not a JSON object")
        return data

    def close(self) -> None:
        """Close the HTTP client."""
        self._client.close()

    def __repr__(self) -> str:
        return f"OpenAIChat({self.model!r})"
