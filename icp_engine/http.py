"""HTTP discipline shared by every external service (Apify, OpenAI, Jina, Cohere, Fathom).

:func:`make_client` builds an ``httpx.Client`` with explicit timeouts; :func:`send` performs one
logical request with retries (tenacity): 429 (honouring ``Retry-After``), 5xx, timeouts and
dropped connections are retried with exponential backoff and jitter; other 4xx are raised at once
as :class:`ServiceError`. Tests fake the services at the transport: pass
``transport=httpx.MockTransport(handler)`` to :func:`make_client`.
"""

from __future__ import annotations

import email.utils
import logging
import time
from typing import Any, Callable

import httpx
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)
from .errors import ExternalServiceError

log = logging.getLogger(__name__)

RETRY_STATUS = {408, 409, 425, 429, 500, 502, 503, 504, 520, 522, 524}


class ServiceError(ExternalServiceError):
    """An external service answered with an error that retrying will not fix (or retries ran out).

    ``service``: short name (``apify``, ``openai``, ...); ``status``: HTTP status or None for a
    network failure; ``body``: first 500 characters of the response body.
    """

    def __init__(self, service: str, message: str, status: int | None = None, body: str = ""):
        super().__init__(f"{service}: {message}")
        self.service = service
        self.status = status
        self.body = body


class RetryableHTTPError(Exception):
    """Internal: a response that should be retried (carries the response for Retry-After)."""

    def __init__(self, response: httpx.Response):
        super().__init__(f"HTTP {response.status_code}")
        self.response = response


def make_client(
    base_url: str = "",
    *,
    headers: dict[str, str] | None = None,
    timeout_s: float = 60.0,
    transport: httpx.BaseTransport | None = None,
) -> httpx.Client:
    """An ``httpx.Client`` with connect timeout 10 s and read/write/pool timeouts ``timeout_s``."""
    return httpx.Client(
        base_url=base_url,
        headers=headers or {},
        timeout=httpx.Timeout(timeout_s, connect=10.0),
        transport=transport,
        follow_redirects=True,
    )


def _retry_after_seconds(response: httpx.Response) -> float | None:
    # Retry-After (RFC 9110), else RateLimit-Reset (delta seconds; IETF RateLimit header draft, used by Fathom)
    value = response.headers.get("Retry-After") or response.headers.get("RateLimit-Reset")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value)
        return max(0.0, parsed.timestamp() - time.time()) if parsed else None


def _is_retryable(exc: BaseException) -> bool:
    return isinstance(
        exc, (RetryableHTTPError, httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
    )


def _make_wait(max_backoff_s: float) -> Callable[[RetryCallState], float]:
    expo = wait_exponential_jitter(initial=0.5, max=max_backoff_s)

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, RetryableHTTPError):
            ra = _retry_after_seconds(exc.response)
            if ra is not None:
                return min(ra, max_backoff_s * 4)
        return expo(state)

    return wait


def send(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    service: str,
    max_attempts: int = 5,
    max_backoff_s: float = 30.0,
    on_retry: Callable[[int, str], None] | None = None,
    **kwargs: Any,
) -> httpx.Response:
    """Send one request with retries; return the successful (2xx/3xx) response.

    Retries up to ``max_attempts`` times in all on :data:`RETRY_STATUS`, timeouts and network
    errors, waiting ``Retry-After`` when given (capped at 4 x ``max_backoff_s``), else exponential
    backoff with jitter from 0.5 s up to ``max_backoff_s``. ``on_retry(attempt, reason)`` is called
    before each retry (for counting). Raises :class:`ServiceError` on a non-retryable status or
    when attempts run out.
    """

    def before_sleep(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        reason = str(exc) if exc else "?"
        log.info("%s %s %s: retry %d after %s", service, method, url, state.attempt_number, reason)
        if on_retry:
            on_retry(state.attempt_number, reason)

    retrying = Retrying(
        stop=stop_after_attempt(max_attempts),
        wait=_make_wait(max_backoff_s),
        retry=retry_if_exception(_is_retryable),
        before_sleep=before_sleep,
        reraise=True,
    )
    try:
        for attempt in retrying:
            with attempt:
                response = client.request(method, url, **kwargs)
                if response.status_code in RETRY_STATUS:
                    raise RetryableHTTPError(response)
                if response.status_code >= 400:
                    raise ServiceError(
                        service,
                        f"HTTP {response.status_code} on {method} {url}: {response.text[:300]}",
                        response.status_code,
                        response.text[:500],
                    )
                return response
    except RetryableHTTPError as exc:
        r = exc.response
        raise ServiceError(
            service, f"HTTP {r.status_code} on {method} {url} after {max_attempts} attempts",
            r.status_code, r.text[:500],
        ) from exc
    except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
        raise ServiceError(service, f"{type(exc).__name__} on {method} {url} after {max_attempts} attempts: {exc}") from exc
    raise AssertionError("unreachable")  # pragma: no cover
