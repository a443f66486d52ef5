"""Issue 8 item 7: a misconfigured Apify (bad token, wrong actor, wrong base URL) stops the run at its
first start with one message naming the setting, and no lead is marked failed. Faked at the transport."""

from __future__ import annotations

import httpx
import pytest
import sqlalchemy as sa

from icp_engine.domain import ICP, Follower
from icp_engine.engine import Engine
from icp_engine.enrich.apify import ApifyProvider
from icp_engine.enrich.apify_client import api_base_url
from icp_engine.errors import RunFailed
from icp_engine.pipeline import RunOptions
from icp_engine.wiring import Wiring


class Refusing:
    """Apify answering every run start with ``status`` (the real error body shape); records the paths."""

    def __init__(self, status: int):
        self.status = status
        self.paths: list[tuple[str, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.paths.append((request.method, request.url.path))
        kinds = {401: "token-not-provided", 403: "permission-denied", 404: "record-not-found"}
        return httpx.Response(self.status, json={"error": {"type": kinds.get(self.status, "x"),
                                                           "message": "Actor was not found" if self.status == 404
                                                           else "Authentication token is not valid."}})


class ApifyWiring(Wiring):
    """The real Apify provider with a MockTransport (what the wiring builds, plus the fake transport)."""

    def __init__(self, settings, db, transport):
        super().__init__(settings, db)
        self.transport = transport

    def provider(self, options, run_id=None):
        return ApifyProvider(self.settings, self.db, run_id, transport=self.transport, poll_wait_s=0,
                             max_backoff_s=0.01)


def _people(n: int) -> list[Follower]:
    return [Follower(key=f"mis-{i}", url=f"https://www.linkedin.com/in/mis-{i}",
                     profile_url=f"https://www.linkedin.com/in/mis-{i}", vanity=f"mis-{i}", name=f"Mis {i}",
                     headline="CFO") for i in range(n)]


@pytest.mark.parametrize("status, setting", [(401, "APIFY_API_TOKEN"), (403, "APIFY_API_TOKEN"),
                                             (404, "APIFY_ACTOR_ID")])
def test_refused_first_start_stops_the_run_and_fails_no_lead(db, settings, status, setting):
    api = Refusing(status)
    s = settings.model_copy(update=dict(apify_api_token="wrong", apify_api_base_url="https://api.apify.com",
                                        apify_actor_id="someone/no-such-actor", apify_batch_size=10,
                                        apify_max_concurrent_runs=2))
    eng = Engine(s, db=db, wiring=ApifyWiring(s, db, httpx.MockTransport(api)))
    c = eng.create_client("Misconfigured")
    eng.save_icp(c["id"], ICP(target_titles=["CFO"]))
    b = eng.ingest_followers(c["id"], _people(35), batch_name="b")
    run_id = eng.create_run(c["id"], batch_id=b["id"], options=RunOptions(enrich="apify", classify=False))
    with pytest.raises(RunFailed) as caught:
        eng.execute_run(run_id)
    message = str(caught.value)
    assert setting in message and str(status) in message
    if status == 404:
        assert "APIFY_API_BASE_URL" in message and "someone/no-such-actor" in message
    starts = [p for m, p in api.paths if m == "POST"]
    assert 1 <= len(starts) <= 2  # the first start (and at most the one in flight beside it), not one per batch
    assert all(p == "/v2/acts/someone~no-such-actor/runs" for p in starts)  # base URL given without /v2
    with db.connect() as conn:
        statuses = conn.execute(sa.text("SELECT status, count(*) FROM leads GROUP BY status")).all()
        run = conn.execute(sa.text("SELECT status, error FROM runs WHERE id=:i"), {"i": run_id}).one()
        job = conn.execute(sa.text("SELECT status::text FROM procrastinate_jobs")).scalar_one()
    assert [tuple(r) for r in statuses] == [("discovered", 35)]  # no lead failed, none half-written
    assert run.status == "failed" and run.error == message and message.startswith("Apify ")  # one sentence
    assert job == "failed"  # not retried: trying again cannot help


@pytest.mark.parametrize("configured", ["https://api.apify.com", "https://api.apify.com/", "https://api.apify.com/v2",
                                        "https://api.apify.com/v2/"])
def test_base_url_with_or_without_v2(configured):
    assert api_base_url(configured) == "https://api.apify.com/v2/"
