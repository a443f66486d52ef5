"""A fake Apify API on loopback that speaks the real REST shapes (docs.apify.com/api/v2, FORMATS.md §B.6).

Endpoints (all under ``/v2``; auth ``Authorization: Bearer <token>`` or ``?token=``):

* ``POST /acts/{actor}/runs`` - start a run; body = actor input ``{"urls": [{"url"}], ...}``;
  201 ``{"data": run}``.
* ``GET  /acts/{actor}/runs?desc=1&offset=&limit=`` - list runs ``{"data": {total, count, offset, limit, desc, items}}``.
* ``GET  /actor-runs/{id}?waitForFinish=N`` - run object, long-polls up to N s (max 60).
* ``POST /actor-runs/{id}/abort`` - abort; the dataset keeps what was scraped so far.
* ``GET  /datasets/{id}/items?offset=&limit=`` and ``GET /actor-runs/{id}/dataset/items`` - items
  array with ``X-Apify-Pagination-Offset|Limit|Count|Total`` headers.
* ``GET  /key-value-stores/{id}/records/INPUT`` - the run's input.

Runs are simulated in time: a run lasts ``run_duration_s`` (or a queued per-run duration), and at
its end produces one item per URL (in the ``yZnhB5JewWf9xSmoM`` shape, see :func:`make_item`),
minus unscrapable URLs, minus a random share for partial datasets; a share of runs ends FAILED or
TIMED-OUT with a partial dataset. Every produced item is *charged* and logged in ``charged``
(``(apify_run_id, url)``), so tests can check that no profile was paid twice.

Failure knobs (:class:`FakeApifyConfig`): ``fail_rate`` - share of requests answered with a
429 (``Retry-After``) / 500 / 502 / 503 *before* any processing; ``lost_start_rate`` - share of
run starts that DO start the run but answer 502 (the ambiguous case); ``run_failure_rate``;
``partial_rate``; ``unscrapable`` URLs keys. Scripted one-off failures: :meth:`FakeApify.fail_next`.
Runs of "someone else" (same actor) can be added with :meth:`FakeApify.add_foreign_run`.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, UTC
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

TERMINAL = {"SUCCEEDED", "FAILED", "TIMED-OUT", "ABORTED"}
_ID_RE = re.compile(r"^ACoAA[A-Za-z0-9_-]{34}$")
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"


def _now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _rand_id(rng: random.Random, n: int = 17) -> str:
    return "".join(rng.choice(_ALPHABET[:62]) for _ in range(n))


def url_key(url: str) -> str | None:
    """The ``/in/<x>`` segment of a profile URL: ACoAA id (case kept) or lower-cased decoded vanity."""
    parts = urlsplit(url if "://" in url else "https://www.linkedin.com" + url)
    segs = [s for s in parts.path.split("/") if s]
    if len(segs) < 2 or segs[0] != "in":
        return None
    seg = unquote(segs[1])
    return seg if _ID_RE.match(seg) else seg.lower()


def fake_profile_id(seed: str) -> str:
    """Deterministic fictional ``ACoAA…`` id (39 chars) for a vanity."""
    h = hashlib.sha256(seed.encode()).digest() + hashlib.sha256(seed.encode() + b"2").digest()
    return "ACoAA" + "".join(_ALPHABET[b % 64] for b in h[:34])


def make_item(url: str) -> dict[str, Any]:
    """A fictional dataset item for ``url`` in the supreme_coder shape (identity derived from the URL)."""
    key = url_key(url) or url
    if _ID_RE.match(key):
        pid, vanity = key, "m-" + hashlib.sha1(key.encode()).hexdigest()[:10]
    else:
        pid, vanity = fake_profile_id(key), key
    n = int(hashlib.sha1(key.encode()).hexdigest()[:6], 16)
    titles = ["CFO", "VP Finance", "Head of Finance", "Controller", "Software Engineer", "Recruiter"]
    sizes = [{"start": 11, "end": 50}, {"start": 51, "end": 200}, {"start": 201, "end": 500}, {"start": 10001}]
    title = titles[n % len(titles)]
    company = f"Company {n % 997}"
    return {
        "id": str(100000000 + n), "profileId": pid, "publicIdentifier": vanity,
        "firstName": "Test", "lastName": f"Person {n % 10000}",
        "headline": f"{title} at {company}", "occupation": f"{title} at {company}",
        "geoLocationName": "Leeds, England", "geoCountryName": "United Kingdom",
        "positions": [{
            "title": title, "companyName": company,
            "timePeriod": {"startDate": {"month": 1 + n % 12, "year": 2015 + n % 10}},
            "company": {"name": company, "employeeCountRange": sizes[n % len(sizes)],
                        "industries": ["Computer Software"]},
        }],
        "skills": ["Budgeting"], "jobTitle": title, "companyName": company,
        "inputUrl": url,
    }


@dataclass
class FakeApifyConfig:
    """Behaviour of the fake. Rates are in 0-1; durations in seconds."""

    token: str = "fake-token"
    actor_id: str = "yZnhB5JewWf9xSmoM"
    run_duration_s: float = 0.05
    fail_rate: float = 0.0
    fail_statuses: tuple[int, ...] = (429, 500, 502, 503)
    retry_after_s: int = 0
    lost_start_rate: float = 0.0
    run_failure_rate: float = 0.0
    partial_rate: float = 0.0
    unscrapable: set[str] = field(default_factory=set)
    max_wait_s: float = 60.0
    seed: int = 0


@dataclass
class _Run:
    id: str
    act_id: str
    input: dict[str, Any]
    started: float
    started_at: str
    duration: float
    dataset_id: str
    kvs_id: str
    status: str = "RUNNING"
    finished_at: str | None = None
    forced: str | None = None
    foreign: bool = False
    timeout: float | None = None
    items: list[dict[str, Any]] = field(default_factory=list)

    def obj(self) -> dict[str, Any]:
        return {
            "id": self.id, "actId": self.act_id, "userId": "fakeUser", "actorTaskId": None,
            "startedAt": self.started_at, "finishedAt": self.finished_at, "status": self.status,
            "statusMessage": {"FAILED": "Actor crashed", "TIMED-OUT": "Run timed out",
                              "ABORTED": "Aborted by user"}.get(self.status),
            "meta": {"origin": "API"}, "buildId": "fakeBuild", "buildNumber": "0.0.1",
            "defaultKeyValueStoreId": self.kvs_id, "defaultDatasetId": self.dataset_id,
            "defaultRequestQueueId": "rq" + self.id, "options": {"timeoutSecs": 1800, "memoryMbytes": 1024},
            "stats": {"durationMillis": int(self.duration * 1000)},
            "usageTotalUsd": None,
        }


class FakeApify:
    """Threaded loopback server. ``with FakeApify(cfg) as fake: fake.base_url`` -> ``http://127.0.0.1:<port>/v2``.

    Logs: ``charged`` [(run_id, url)], ``started`` [run ids], ``aborted`` [run ids],
    ``requests`` [(method, path, status)].
    """

    def __init__(self, config: FakeApifyConfig | None = None):
        self.cfg = config or FakeApifyConfig()
        self.rng = random.Random(self.cfg.seed)
        self.lock = threading.RLock()
        self.runs: dict[str, _Run] = {}
        self.by_dataset: dict[str, _Run] = {}
        self.by_kvs: dict[str, _Run] = {}
        self.order: list[str] = []
        self.charged: list[tuple[str, str]] = []
        self.started: list[str] = []
        self.aborted: list[str] = []
        self.requests: list[tuple[str, str, int]] = []
        self.profiles: dict[str, dict[str, Any]] = {}
        self._script: deque[tuple[str, str, int, dict[str, str]]] = deque()
        self.next_run_outcomes: deque[str] = deque()
        self.next_run_durations: deque[float] = deque()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- control -------------------------------------------------------------------------------

    def start(self) -> FakeApify:
        fake = self

        class Handler(_Handler):
            pass

        Handler.fake = fake
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> FakeApify:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/v2"

    def fail_next(self, method: str, path_prefix: str, status: int, times: int = 1,
                  headers: dict[str, str] | None = None) -> None:
        """Answer the next ``times`` requests matching ``method`` and path prefix (after ``/v2``) with ``status``.

        ``status=-1`` closes the connection without an answer (dropped connection);
        ``status=-502`` on a run start starts the run and then answers 502 (lost response).
        """
        for _ in range(times):
            self._script.append((method.upper(), path_prefix, status, headers or {}))

    def add_foreign_run(self, urls: list[str], duration_s: float = 3600) -> str:
        """A run of the same actor started by someone else (must never be aborted by the product)."""
        run = self._new_run({"urls": [{"url": u} for u in urls]}, duration_s)
        run.foreign = True
        return run.id

    def charged_urls(self) -> list[str]:
        with self.lock:
            return [u for _, u in self.charged]

    def charged_keys(self) -> list[str]:
        return [url_key(u) or u for u in self.charged_urls()]

    # -- simulation ----------------------------------------------------------------------------

    def _new_run(self, run_input: dict[str, Any], duration: float | None = None) -> _Run:
        with self.lock:
            rid = _rand_id(self.rng)
            if duration is None:
                duration = self.next_run_durations.popleft() if self.next_run_durations else self.cfg.run_duration_s
            forced = self.next_run_outcomes.popleft() if self.next_run_outcomes else None
            if forced is None and self.rng.random() < self.cfg.run_failure_rate:
                forced = self.rng.choice(["FAILED", "TIMED-OUT"])
            run = _Run(id=rid, act_id=self.cfg.actor_id, input=run_input, started=time.monotonic(),
                       started_at=_now_iso(), duration=duration, dataset_id="ds" + rid, kvs_id="kv" + rid,
                       forced=forced)
            self.runs[rid] = run
            self.by_dataset[run.dataset_id] = run
            self.by_kvs[run.kvs_id] = run
            self.order.append(rid)
            return run

    def _urls(self, run: _Run) -> list[str]:
        out = []
        for u in run.input.get("urls") or []:
            u = u.get("url") if isinstance(u, dict) else u
            if isinstance(u, str):
                out.append(u)
        return out

    def _produce(self, run: _Run, share: float) -> None:
        """Push items for the first ``share`` of the URLs (charged)."""
        urls = self._urls(run)
        n = int(len(urls) * max(0.0, min(1.0, share)))
        for url in urls[:n]:
            k = url_key(url)
            if k in self.cfg.unscrapable:
                continue
            item = dict(self.profiles.get(k) or make_item(url))
            item["inputUrl"] = url
            run.items.append(item)
            self.charged.append((run.id, url))

    def _tick(self, run: _Run) -> None:
        """Finish a run whose time is up (under lock)."""
        if run.status in TERMINAL:
            return
        elapsed = time.monotonic() - run.started
        if run.timeout is not None and run.duration > run.timeout and elapsed >= run.timeout:
            self._produce(run, run.timeout / run.duration)  # the actor's own timeout (POST ?timeout=)
            run.status = "TIMED-OUT"
            run.finished_at = _now_iso()
            return
        if elapsed < run.duration:
            return
        if run.forced in ("FAILED", "TIMED-OUT"):
            self._produce(run, self.rng.uniform(0.0, 0.7))
            run.status = run.forced
        else:
            share = 1.0
            if self.rng.random() < self.cfg.partial_rate:
                share = self.rng.uniform(0.5, 0.95)
            self._produce(run, share)
            run.status = "SUCCEEDED"
        run.finished_at = _now_iso()

    def _abort(self, run: _Run) -> None:
        if run.status in TERMINAL:
            return
        elapsed = (time.monotonic() - run.started) / run.duration if run.duration else 1.0
        if not run.foreign:
            self._produce(run, min(elapsed, 1.0) * 0.5)
        run.status = "ABORTED"
        run.finished_at = _now_iso()
        self.aborted.append(run.id)


def _json_bytes(obj: Any) -> bytes:
    return json.dumps(obj).encode()


class _Handler(BaseHTTPRequestHandler):
    fake: FakeApify
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:  # silence
        pass

    # -- plumbing ------------------------------------------------------------------------------

    def _reply(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = body if isinstance(body, bytes) else _json_bytes(body)
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)
        with self.fake.lock:
            self.fake.requests.append((self.command, self.path.split("?")[0], status))

    def _error(self, status: int, etype: str, message: str, headers: dict[str, str] | None = None) -> None:
        self._reply(status, {"error": {"type": etype, "message": message}}, headers)

    def _body(self) -> bytes:
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        fake = self.fake
        parts = urlsplit(self.path)
        q = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        body = self._body() if method == "POST" else b""
        path = parts.path
        if not path.startswith("/v2/"):
            return self._error(404, "page-not-found", "not found")
        path = path[3:]
        auth = self.headers.get("Authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else q.get("token")
        if token != fake.cfg.token:
            return self._error(401, "token-not-valid", "Authentication token is not valid.")
        lost_start = False
        with fake.lock:
            for i, (m, prefix, status, hdrs) in enumerate(fake._script):
                if m == method and path.startswith(prefix):
                    del fake._script[i]
                    if status == -1:
                        self.close_connection = True
                        self.connection.shutdown(2)
                        return
                    if status == -502:
                        lost_start = True
                        break
                    return self._error(status, "scripted-error", f"scripted {status}", hdrs)
            if not lost_start and fake.rng.random() < fake.cfg.fail_rate:
                status = fake.rng.choice(fake.cfg.fail_statuses)
                hdrs = {"Retry-After": str(fake.cfg.retry_after_s)} if status == 429 else {}
                return self._error(status, "rate-limit-exceeded" if status == 429 else "internal-error",
                                   f"random failure {status}", hdrs)
        segs = [s for s in path.split("/") if s]
        try:
            if method == "POST" and len(segs) == 3 and segs[0] in ("acts", "actors") and segs[2] == "runs":
                return self._start(segs[1], body, lost_start, q)
            if method == "GET" and len(segs) == 3 and segs[0] in ("acts", "actors") and segs[2] == "runs":
                return self._list(segs[1], q)
            if method == "GET" and len(segs) == 2 and segs[0] == "actor-runs":
                return self._get_run(segs[1], q)
            if method == "POST" and len(segs) == 3 and segs[0] == "actor-runs" and segs[2] == "abort":
                return self._abort(segs[1])
            if method == "GET" and len(segs) == 3 and segs[0] == "datasets" and segs[2] == "items":
                return self._items(fake.by_dataset.get(segs[1]), q)
            if method == "GET" and len(segs) == 4 and segs[0] == "actor-runs" and segs[2:] == ["dataset", "items"]:
                return self._items(fake.runs.get(segs[1]), q)
            if method == "GET" and len(segs) == 4 and segs[0] == "key-value-stores" and segs[2] == "records":
                run = fake.by_kvs.get(segs[1])
                if run is None or segs[3] != "INPUT":
                    return self._error(404, "record-not-found", "Record was not found")
                return self._reply(200, run.input)
        except (BrokenPipeError, ConnectionResetError):
            return
        return self._error(404, "page-not-found", f"no route for {method} {path}")

    # -- endpoints -----------------------------------------------------------------------------

    def _start(self, actor: str, body: bytes, lost: bool, q: dict[str, str]) -> None:
        fake = self.fake
        if actor.replace("~", "/") not in (fake.cfg.actor_id, "supreme_coder/linkedin-profile-scraper"):
            return self._error(404, "record-not-found", "Actor was not found")
        try:
            run_input = json.loads(body or b"{}")
        except json.JSONDecodeError:
            return self._error(400, "invalid-input", "Input is not valid JSON")
        urls = run_input.get("urls") if isinstance(run_input, dict) else None
        if not isinstance(urls, list) or not urls or len(urls) > 1500:
            return self._error(400, "invalid-input", "Input is not valid: Field input.urls is required (1-1500 items)")
        with fake.lock:
            if not lost and fake.rng.random() < fake.cfg.lost_start_rate:
                lost = True
            run = fake._new_run(run_input)
            if q.get("timeout"):
                run.timeout = float(q["timeout"])
            fake.started.append(run.id)
            obj = run.obj()
        if lost:
            return self._error(502, "internal-error", "Bad gateway (the run was started)")
        self._reply(201, {"data": obj})

    def _list(self, actor: str, q: dict[str, str]) -> None:
        fake = self.fake
        offset, limit = int(q.get("offset", 0)), min(int(q.get("limit", 1000)), 1000)
        with fake.lock:
            ids = list(fake.order)
            if q.get("desc") in ("1", "true"):
                ids.reverse()
            page = []
            for rid in ids[offset:offset + limit]:
                r = fake.runs[rid]
                fake._tick(r)
                o = r.obj()
                page.append({k: o[k] for k in ("id", "actId", "actorTaskId", "status", "startedAt", "finishedAt",
                                                "buildId", "buildNumber", "meta", "usageTotalUsd",
                                                "defaultKeyValueStoreId", "defaultDatasetId", "defaultRequestQueueId")})
        self._reply(200, {"data": {"total": len(ids), "count": len(page), "offset": offset, "limit": limit,
                                   "desc": q.get("desc") in ("1", "true"), "items": page}})

    def _get_run(self, rid: str, q: dict[str, str]) -> None:
        fake = self.fake
        run = fake.runs.get(rid)
        if run is None:
            return self._error(404, "record-not-found", "Actor run was not found")
        wait_s = min(float(q.get("waitForFinish", 0) or 0), fake.cfg.max_wait_s, 60.0)
        deadline = time.monotonic() + wait_s
        while True:
            with fake.lock:
                fake._tick(run)
                if run.status in TERMINAL or time.monotonic() >= deadline:
                    obj = run.obj()
                    break
            time.sleep(min(0.01, max(0.0, deadline - time.monotonic())))
        self._reply(200, {"data": obj})

    def _abort(self, rid: str) -> None:
        fake = self.fake
        with fake.lock:
            run = fake.runs.get(rid)
            if run is None:
                return self._error(404, "record-not-found", "Actor run was not found")
            fake._tick(run)
            fake._abort(run)
            obj = run.obj()
        self._reply(200, {"data": obj})

    def _items(self, run: _Run | None, q: dict[str, str]) -> None:
        fake = self.fake
        if run is None:
            return self._error(404, "record-not-found", "Dataset was not found")
        offset = int(q.get("offset", 0))
        limit = int(q.get("limit", 1_000_000))
        with fake.lock:
            fake._tick(run)
            total = len(run.items)
            page = run.items[offset:offset + limit]
        self._reply(200, page, {
            "X-Apify-Pagination-Offset": str(offset), "X-Apify-Pagination-Limit": str(limit),
            "X-Apify-Pagination-Count": str(len(page)), "X-Apify-Pagination-Total": str(total),
        })
