"""ApifyProvider request shapes and edge cases with httpx.MockTransport (FORMATS.md §B.2, §B.6)."""

from __future__ import annotations

import json

import httpx
import pytest
import sqlalchemy as sa

from fakes.fake_apify import make_item
from icp_engine.enrich import EnrichRequest
from icp_engine.enrich.apify import ApifyProvider
from icp_engine.db import schema


class Api:
    """Scripted Apify: records every request; answers like the real API."""

    def __init__(self, *, start_status=201, run_status="SUCCEEDED", items=None):
        self.calls: list[httpx.Request] = []
        self.start_status = start_status
        self.run_status = run_status
        self.items = items
        self.polls = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request)
        path = request.url.path
        run = {"id": "RUN1", "status": "RUNNING", "defaultDatasetId": "DS1", "defaultKeyValueStoreId": "KV1",
               "startedAt": "2026-11-21T10:00:00.000Z", "finishedAt": None}
        if request.method == "POST" and path.endswith("/runs"):
            if self.start_status >= 400:
                return httpx.Response(self.start_status, json={"error": {"type": "x", "message": "nope"}})
            self.input = json.loads(request.content)
            return httpx.Response(201, json={"data": run})
        if request.method == "GET" and path == "/v2/actor-runs/RUN1":
            self.polls += 1
            status = "RUNNING" if self.polls < 2 else self.run_status
            return httpx.Response(200, json={"data": dict(run, status=status)})
        if request.method == "GET" and path == "/v2/datasets/DS1/items":
            items = self.items if self.items is not None else [make_item(u["url"]) for u in self.input["urls"]]
            off, lim = int(request.url.params["offset"]), int(request.url.params["limit"])
            page = items[off:off + lim]
            return httpx.Response(200, json=page, headers={"X-Apify-Pagination-Total": str(len(items))})
        return httpx.Response(404, json={"error": {"type": "page-not-found", "message": path}})


def mk(settings, db, api, **kw):
    s = settings.model_copy(update=dict(apify_api_token="secret", apify_api_base_url="https://api.apify.com/v2",
                                        apify_batch_size=50, apify_max_concurrent_runs=1, **kw))
    return ApifyProvider(s, db, None, transport=httpx.MockTransport(api), poll_wait_s=5, max_backoff_s=0.01)


REQS = [
    EnrichRequest(1, "ana-ruiz", "https://www.linkedin.com/in/ana-ruiz?miniProfileUrn=urn%3Ali%3Afs_miniProfile%3A"
                  "ACoAAEkjYj4mbM4pZlGEvUDUBH1mLh2ZJ3JMRSb", vanity="ana-ruiz"),
    EnrichRequest(2, "ACoAA7gRjI8ciBPv9ilUlfqoWSuAfSQ6DltNCgp",
                  "https://www.linkedin.com/in/ACoAA7gRjI8ciBPv9ilUlfqoWSuAfSQ6DltNCgp",
                  profile_id="ACoAA7gRjI8ciBPv9ilUlfqoWSuAfSQ6DltNCgp"),
]


def test_request_shapes(settings, db):
    api = Api()
    out = list(mk(settings, db, api).enrich(REQS))
    assert all(o.profile for o in out) and len(out) == 2
    start = api.calls[0]
    assert start.method == "POST"
    assert start.url.path == "/v2/acts/yZnhB5JewWf9xSmoM/runs"
    assert start.url.params["timeout"] == "1800"
    assert start.headers["Authorization"] == "Bearer secret"
    assert api.input == {"urls": [{"url": r.url} for r in REQS], "scrapeCompany": False, "findContacts": False}
    polls = [c for c in api.calls if c.url.path == "/v2/actor-runs/RUN1"]
    assert len(polls) == 2 and all(c.url.params["waitForFinish"] == "5" for c in polls)
    (ds,) = [c for c in api.calls if "/datasets/" in c.url.path]
    assert dict(ds.url.params) == {"clean": "true", "format": "json", "offset": "0", "limit": "1000"}
    assert all(c.headers["Authorization"] == "Bearer secret" for c in api.calls)


def test_actor_name_with_slash_uses_tilde(settings, db):
    api = Api()
    list(mk(settings, db, api, apify_actor_id="supreme_coder/linkedin-profile-scraper").enrich(REQS[:1]))
    assert api.calls[0].url.path == "/v2/acts/supreme_coder~linkedin-profile-scraper/runs"


def test_400_on_start_is_not_retried_and_marks_not_started(settings, db):
    api = Api(start_status=400)
    out = list(mk(settings, db, api).enrich(REQS))
    assert len(api.calls) == 1
    assert all(o.retryable and "could not start" in o.error for o in out)
    with db.begin() as conn:
        (row,) = conn.execute(sa.select(schema.apify_runs)).all()
    assert row.status == "NOT_STARTED" and "400" in row.error


def test_empty_items_and_renamed_profile(settings, db):
    items = [
        {"inputUrl": REQS[0].url, "succeeded": False, "error": "Profile is private"},
        dict(make_item("https://www.linkedin.com/in/renamed-vanity"), profileId=None, inputUrl=REQS[1].url),
    ]
    items[1].pop("profileId")
    api = Api(items=items)
    p = mk(settings, db, api)
    out = {o.lead_id: o for o in p.enrich(REQS)}
    assert out[1].retryable and "private" in out[1].error
    assert out[2].profile and out[2].profile.vanity == "renamed-vanity"
    # the renamed profile is cached under the lead's own key too
    with db.begin() as conn:
        keys = set(conn.execute(sa.text("SELECT profile_key FROM profile_cache")).scalars())
    assert keys == {"renamed-vanity", REQS[1].key}
    with db.begin() as conn:
        (row,) = conn.execute(sa.select(schema.apify_runs)).all()
    assert row.items_count == 2 and row.matched_count == 2


@pytest.mark.parametrize("status", ["ABORTED", "FAILED"])
def test_terminal_failure_statuses(settings, db, status):
    api = Api(run_status=status, items=[])
    out = list(mk(settings, db, api).enrich(REQS))
    assert all(o.retryable and status in o.error for o in out)


def test_429_on_start_waits_retry_after(settings, db):
    import time

    api = Api()
    orig = api.__call__
    state = {"n": 0}

    def handler(request):
        if request.method == "POST" and state["n"] == 0:
            state["n"] += 1
            api.calls.append(request)
            return httpx.Response(429, headers={"Retry-After": "1"}, json={"error": {"type": "rate-limit-exceeded"}})
        return orig(request)

    s = settings.model_copy(update=dict(apify_api_token="secret", apify_max_concurrent_runs=1))
    p = ApifyProvider(s, db, None, transport=httpx.MockTransport(handler), poll_wait_s=5, max_backoff_s=5)
    t0 = time.monotonic()
    out = list(p.enrich(REQS[:1]))
    assert time.monotonic() - t0 >= 1.0
    assert out[0].profile and p.stats["runs_started"] == 1 and p.stats["retries"] == 1
    assert sum(1 for c in api.calls if c.method == "POST") == 2


def test_run_past_deadline_is_aborted(settings, db):
    state = {"aborted": False}
    calls = []

    def handler(request):
        calls.append((request.method, request.url.path))
        run = {"id": "SLOW", "status": "ABORTED" if state["aborted"] else "RUNNING", "defaultDatasetId": "DSS"}
        if request.method == "POST" and request.url.path.endswith("/abort"):
            state["aborted"] = True
            return httpx.Response(200, json={"data": dict(run, status="ABORTING")})
        if request.method == "POST":
            return httpx.Response(201, json={"data": run})
        if request.url.path == "/v2/actor-runs/SLOW":
            return httpx.Response(200, json={"data": run})
        if request.url.path == "/v2/datasets/DSS/items":
            return httpx.Response(200, json=[], headers={"X-Apify-Pagination-Total": "0"})
        return httpx.Response(404)

    s = settings.model_copy(update=dict(apify_api_token="secret", apify_run_timeout_s=1))
    p = ApifyProvider(s, db, None, transport=httpx.MockTransport(handler), poll_wait_s=0, abort_grace_s=0.2)
    out = list(p.enrich(REQS))
    assert ("POST", "/v2/actor-runs/SLOW/abort") in calls
    assert all(o.retryable and "ABORTED" in o.error for o in out)
    with db.begin() as conn:
        (row,) = conn.execute(sa.select(schema.apify_runs)).all()
    assert row.status == "ABORTED" and row.collected_at is not None
