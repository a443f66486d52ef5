"""HTTP client of the Apify API v2 for one actor (docs.apify.com/api/v2, FORMATS.md §B.6).

Only the calls the ``apify`` provider needs, each returning plain JSON data:

* :meth:`ApifyClient.start_once` - ``POST /acts/{actor}/runs?timeout=`` with the actor input,
  **one attempt**, classified (starting a run is the only call that costs money and is not
  idempotent, so the provider decides what to do after an ambiguous answer);
* :meth:`~ApifyClient.get_run` - ``GET /actor-runs/{id}?waitForFinish=`` (long poll);
* :meth:`~ApifyClient.recent_runs` - ``GET /acts/{actor}/runs?desc=1&offset=&limit=``;
* :meth:`~ApifyClient.input_urls` - ``GET /key-value-stores/{id}/records/INPUT``;
* :meth:`~ApifyClient.dataset_items` - ``GET /datasets/{id}/items?clean=true&format=json`` paged
  (header ``X-Apify-Pagination-Total``);
* :meth:`~ApifyClient.abort` - ``POST /actor-runs/{id}/abort``.

Every call except :meth:`start_once` goes through :func:`icp_engine.http.send` (tenacity: 429
with ``Retry-After``, 5xx, timeouts, dropped connections). 401/402/403 raise
:class:`ApifyFatalError` (bad token / no credit); other failures :class:`~icp_engine.http.ServiceError`.
Actor input of ``supreme_coder/linkedin-profile-scraper`` (FORMATS.md §B.2):
``{"urls": [{"url": ...}], "scrapeCompany": false, "findContacts": false}``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from ..config import Settings
from ..errors import ExternalServiceError
from ..http import ServiceError, _retry_after_seconds, make_client, send

#: Start answers that mean "nothing was started, try again later" (rate limit).
START_RETRY_STATUS = frozenset({429})
#: Start answers after which the run may or may not exist (gateway errors, timeouts).
AMBIGUOUS_STATUS = frozenset({408, 500, 502, 503, 504, 520, 522, 524})
#: The account is refused: bad token (401, 403) or no credit (402).
FATAL_STATUS = frozenset({401, 402, 403})
#: Answers to a run start that mean the settings are wrong (token, actor id, base URL): the run stops.
START_FATAL_STATUS = FATAL_STATUS | {404}


class ApifyFatalError(ExternalServiceError):
    """Apify refused the account (401/403 bad token, 402 no credit) or no token is set.

    Enrichment cannot continue; leads that were not processed got no outcome and stay as they were.
    """


def api_base_url(configured: str) -> str:
    """``APIFY_API_BASE_URL`` as the API v2 root, with or without the trailing ``/v2`` given
    (Apify's own clients take the form without): ``https://api.apify.com`` ->
    ``https://api.apify.com/v2/``."""
    base = configured.strip().rstrip("/")
    if not base.endswith("/v2"):
        base += "/v2"
    return base + "/"


def fatal_message(status: int | None, body: str, *, actor_id: str | None = None, base_url: str | None = None) -> str:
    """The user-facing sentence for a refused account or a misconfiguration, naming the setting to fix
    (401 / 403: ``APIFY_API_TOKEN``; 402: credit; 404 at a run start: ``APIFY_ACTOR_ID`` or ``APIFY_API_BASE_URL``)."""
    detail = f" Apify said: {body[:200]}" if body else ""
    if status == 401:
        return f"Apify rejected the API token (401): check APIFY_API_TOKEN.{detail}"
    if status == 402:
        return f"Apify account has insufficient credit (402): top it up or use another APIFY_API_TOKEN.{detail}"
    if status == 403:
        return (f"Apify refused this API token access to actor {actor_id!r} (403): check APIFY_API_TOKEN "
                f"(and that the token may run APIFY_ACTOR_ID).{detail}")
    if status == 404:
        return (f"Apify found no actor {actor_id!r} at {base_url} (404): check APIFY_ACTOR_ID and "
                f"APIFY_API_BASE_URL (e.g. https://api.apify.com).{detail}")
    return f"Apify refused access (HTTP {status}).{detail}"


def _error_text(resp: httpx.Response) -> str:
    """Apify's error message (``{"error": {"type", "message"}}``) or the start of the body."""
    try:
        err = resp.json().get("error") or {}
        if isinstance(err, dict) and err.get("message"):
            return str(err["message"])[:200]
    except (ValueError, AttributeError):
        pass
    return resp.text[:200]


@dataclass
class StartAttempt:
    """Result of one start request.

    ``outcome``: ``"started"`` (``run`` is the run object), ``"retry"`` (nothing reached Apify or
    a 429: safe to try again, after ``wait_s`` seconds when Apify said so), ``"ambiguous"`` (the
    run may have started: look for it before trying again) or ``"refused"`` (400, 404...: trying
    again will not help). ``message`` says what happened, for the ledger.
    """

    outcome: str
    run: dict[str, Any] | None = None
    wait_s: float | None = None
    message: str = ""


class ApifyClient:
    """Apify API v2 calls for ``settings.apify_actor_id`` with ``settings.apify_api_token``.

    ``ApifyClient(settings, transport=None, *, poll_wait_s=60, max_backoff_s=30.0,
    dataset_page_size=1000, on_retry=None)``: ``transport`` is an ``httpx`` transport for tests;
    ``poll_wait_s`` the ``waitForFinish`` long poll (0-60 s); ``on_retry(attempt, reason)`` is
    called before each automatic retry (for counting).
    """

    def __init__(
        self,
        settings: Settings,
        transport: httpx.BaseTransport | None = None,
        *,
        poll_wait_s: int = 60,
        max_backoff_s: float = 30.0,
        dataset_page_size: int = 1000,
        on_retry: Callable[[int, str], None] | None = None,
    ):
        self.settings = settings
        self.actor_id = settings.apify_actor_id
        self._actor_path = self.actor_id.replace("/", "~")
        self.poll_wait_s = max(0, min(int(poll_wait_s), 60))
        self.max_backoff_s = max_backoff_s
        self.dataset_page_size = max(1, int(dataset_page_size))
        self.on_retry = on_retry
        token = settings.apify_api_token
        self.base_url = api_base_url(settings.apify_api_base_url)
        self.http = make_client(
            self.base_url,
            headers={"Authorization": f"Bearer {token}"} if token else {},
            timeout_s=max(float(settings.http_timeout_s), self.poll_wait_s + 15.0),
            transport=transport,
        )

    def _send(self, method: str, url: str, **kw: Any) -> httpx.Response:
        try:
            return send(self.http, method, url, service="apify", max_attempts=self.settings.http_max_attempts,
                        max_backoff_s=self.max_backoff_s, on_retry=self.on_retry, **kw)
        except ServiceError as exc:
            if exc.status in FATAL_STATUS:
                raise ApifyFatalError(fatal_message(exc.status, exc.body, actor_id=self.actor_id,
                                                    base_url=self.base_url.rstrip("/"))) from exc
            raise

    def start_once(self, urls: list[str]) -> StartAttempt:
        """Send one start request for a run on ``urls`` (timeout ``apify_run_timeout_s``).

        Raises :class:`ApifyFatalError` on 401/402/403 (token, credit) and 404 (no such actor at this
        base URL: ``APIFY_ACTOR_ID`` / ``APIFY_API_BASE_URL``), with a message naming the setting;
        every other answer is a :class:`StartAttempt`.
        """
        run_input = {"urls": [{"url": u} for u in urls], "scrapeCompany": False, "findContacts": False}
        params = {"timeout": int(self.settings.apify_run_timeout_s)}
        try:
            resp = self.http.post(f"acts/{self._actor_path}/runs", params=params, json=run_input)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:  # nothing reached Apify
            return StartAttempt("retry", message=f"{type(exc).__name__}: {exc}")
        except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            return StartAttempt("ambiguous", message=f"{type(exc).__name__}: {exc}")
        if resp.status_code < 300:
            return StartAttempt("started", run=resp.json()["data"])
        body = resp.text[:300]
        message = f"HTTP {resp.status_code}: {body}"
        if resp.status_code in START_FATAL_STATUS:
            raise ApifyFatalError(fatal_message(resp.status_code, _error_text(resp), actor_id=self.actor_id,
                                                base_url=self.base_url.rstrip("/")))
        if resp.status_code in START_RETRY_STATUS:
            return StartAttempt("retry", wait_s=_retry_after_seconds(resp), message=message)
        if resp.status_code in AMBIGUOUS_STATUS:
            return StartAttempt("ambiguous", message=message)
        return StartAttempt("refused", message=message)  # 400 input validation, 404 actor not found, ...

    def get_run(self, apify_run_id: str) -> dict[str, Any]:
        """The run object, after waiting up to ``poll_wait_s`` for it to finish."""
        data: dict[str, Any] = self._send("GET", f"actor-runs/{apify_run_id}",
                                          params={"waitForFinish": self.poll_wait_s}).json()["data"]
        return data

    def recent_runs(self, offset: int, limit: int) -> list[dict[str, Any]]:
        """One page of the actor's runs, newest first."""
        data = self._send("GET", f"acts/{self._actor_path}/runs",
                          params={"desc": 1, "limit": limit, "offset": offset}).json().get("data") or {}
        return list(data.get("items") or [])

    def input_urls(self, key_value_store_id: str) -> list[str] | None:
        """The URLs of a run's ``INPUT`` record, or None when the record is not JSON."""
        resp = self._send("GET", f"key-value-stores/{key_value_store_id}/records/INPUT")
        try:
            run_input = resp.json()
        except ValueError:
            return None
        urls = run_input.get("urls") if isinstance(run_input, dict) else None
        out = []
        for u in urls or []:
            u = u.get("url") if isinstance(u, dict) else u
            if isinstance(u, str):
                out.append(u)
        return out

    def dataset_items(self, dataset_id: str) -> list[Any]:
        """Every item of a dataset, ``dataset_page_size`` per request."""
        items: list[Any] = []
        offset = 0
        limit = self.dataset_page_size
        while True:
            resp = self._send("GET", f"datasets/{dataset_id}/items",
                              params={"clean": "true", "format": "json", "offset": offset, "limit": limit})
            page = resp.json()
            if not isinstance(page, list):
                raise ServiceError("apify", f"dataset {dataset_id}: expected a JSON array of items")
            items.extend(page)
            offset += len(page)
            total = resp.headers.get("X-Apify-Pagination-Total")
            if not page or len(page) < limit or (total and total.isdigit() and offset >= int(total)):
                return items

    def abort(self, apify_run_id: str) -> None:
        """Abort a run (only ever called for runs this product started, see the ledger)."""
        self._send("POST", f"actor-runs/{apify_run_id}/abort")

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self.http.close()
