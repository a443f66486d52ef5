"""OpenAI chat completions with structured output (JSON schema), through the official ``openai`` SDK.

:func:`openai_client` is the one way the product builds an SDK client (chat, embeddings, the LLM
judge, call extraction): key, base URL, timeout, retries (the SDK's own: 408/409/429/5xx and
dropped connections, honouring ``Retry-After``) and, for tests, an ``httpx`` transport given to
the SDK as ``http_client=httpx.Client(transport=...)``; :func:`service_error` maps the SDK's
errors to :class:`icp_engine.http.ServiceError`.

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
import openai

from .errors import ExternalServiceError
from .http import ServiceError

__all__ = ["OpenAIChat", "LLMError", "openai_client", "service_error"]

DEFAULT_BASE_URL = "https://api.openai.com/v1"


def openai_client(
    api_key: str,
    *,
    base_url: str | None = None,
    timeout_s: float = 60.0,
    max_attempts: int = 5,
    transport: httpx.BaseTransport | None = None,
) -> openai.OpenAI:
    """An ``openai.OpenAI`` client: ``max_attempts`` tries in all (``max_retries = max_attempts - 1``),
    ``timeout_s`` per request, ``base_url`` (default ``https://api.openai.com/v1``, e.g. an
    OpenAI-compatible server), ``transport`` for tests (``httpx.MockTransport``)."""
    http_client = httpx.Client(transport=transport, timeout=timeout_s) if transport is not None else None
    return openai.OpenAI(api_key=api_key, base_url=(base_url or DEFAULT_BASE_URL).rstrip("/"), timeout=timeout_s,
                         max_retries=max(0, int(max_attempts) - 1),
                         http_client=http_client)  # type: ignore[arg-type]  # the SDK types httpx2; httpx clients work


def service_error(exc: openai.OpenAIError) -> ServiceError:
    """The SDK's error as :class:`ServiceError` (``service="openai"``, HTTP status and body when there is one)."""
    if isinstance(exc, openai.APIStatusError):
        body = exc.response.text[:500] if exc.response is not None else ""
        return ServiceError("openai", f"HTTP {exc.status_code}: {body[:300]}", exc.status_code, body)
    if isinstance(exc, openai.APIConnectionError):
        return ServiceError("openai", f"{type(exc).__name__}: {exc}")
    return ServiceError("openai", f"{type(exc).__name__}: {exc}")

_REASONING_MODEL = re.compile(r"^(gpt-5(?!-chat)|o\d)")


class LLMError(ExternalServiceError):
    """The model answered but the answer is unusable (refusal, cut off, not JSON for the schema)."""


class OpenAIChat:
    """Minimal OpenAI chat client for JSON-schema answers.

    ``OpenAIChat(settings)`` reads ``openai_api_key``, ``openai_base_url``, ``openai_chat_model``,
    ``http_timeout_s`` and ``http_max_attempts``; keyword arguments override them. ``name`` is
    ``"openai-<model>"``. Counters ``requests_sent``, ``prompt_tokens``, ``completion_tokens``
    (thread-safe) support cost reporting. ``transport`` is for tests (``httpx.MockTransport``);
    the client is :func:`openai_client`.
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
        self._client = openai_client(
            api_key, base_url=base_url or getattr(settings, "openai_base_url", None),
            timeout_s=float(timeout_s or getattr(settings, "http_timeout_s", 60.0) or 60.0),
            max_attempts=self.max_attempts, transport=transport,
        )
        self._lock = threading.Lock()
        self.requests_sent = 0
        self.prompt_tokens = 0
        self.completion_tokens = 0

    def complete_json(self, messages: list[dict[str, str]], schema: dict[str, Any], schema_name: str) -> dict[str, Any]:
        """Send ``messages``; return the assistant's answer parsed as JSON matching ``schema``.

        ``schema`` is a strict JSON schema (object at the top). Raises
        :class:`icp_engine.http.ServiceError` on HTTP failure (after the SDK's retries for 429/5xx) and
        :class:`LLMError` on a refusal, a truncated answer (``finish_reason`` ``length``) or
        content that is not a JSON object.
        """
        params: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "response_format": {"type": "json_schema",
                                "json_schema": {"name": schema_name, "strict": True, "schema": schema}},
        }
        if self.reasoning_effort and _REASONING_MODEL.match(self.model):
            params["reasoning_effort"] = self.reasoning_effort
        try:
            completion = self._client.chat.completions.create(**params)
        except openai.OpenAIError as exc:
            raise service_error(exc) from exc
        try:
            choice = completion.choices[0]
            message = {"content": choice.message.content, "refusal": getattr(choice.message, "refusal", None)}
            finish_reason = choice.finish_reason
            usage = completion.usage
        except (AttributeError, IndexError, TypeError) as exc:
            raise ServiceError("openai", f"malformed chat completion: {exc}") from exc
        with self._lock:
            self.requests_sent += 1
            self.prompt_tokens += int(getattr(usage, "prompt_tokens", 0) or 0)
            self.completion_tokens += int(getattr(usage, "completion_tokens", 0) or 0)
        if message.get("refusal"):
            raise LLMError(f"model refused: {message['refusal']}")
        if finish_reason == "length":
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
