"""ApifyProvider against the fake Apify server on loopback (issue 4 items 1, 2 and 5), real Postgres."""

from __future__ import annotations

import os
import threading
import time
from collections import Counter

import pytest
import sqlalchemy as sa

from fakes.fake_apify import FakeApify, FakeApifyConfig, make_item
from icp_engine.domain import Profile
from icp_engine.enrich import EnrichRequest
from icp_engine.enrich.apify import NO_URL_NOTE, ApifyFatalError, ApifyProvider
from icp_engine.db import schema

TOKEN = "tok-123"


@pytest.fixture()
def fake():
    with FakeApify(FakeApifyConfig(token=TOKEN, run_duration_s=0.05, seed=7)) as f:
        yield f


def mk_settings(settings, fake, **kw):
    base = dict(apify_api_token=TOKEN, apify_api_base_url=fake.base_url, apify_batch_size=3,
                apify_max_concurrent_runs=2, http_max_attempts=5, apify_run_timeout_s=600)
    base.update(kw)
    return settings.model_copy(update=base)


def mk_provider(settings, db, **kw):
    return ApifyProvider(settings, db, None, poll_wait_s=2, max_backoff_s=0.05, **kw)


def leads(n, prefix="lead", start=1):
    return [EnrichRequest(lead_id=start + i, key=f"{prefix}-{i}", url=f"https://www.linkedin.com/in/{prefix}-{i}",
                          vanity=f"{prefix}-{i}", page=Profile(name=f"Page Name {i}", headline="x"))
            for i in range(n)]


def rows(db):
    with db.begin() as conn:
        return conn.execute(sa.select(schema.apify_runs).order_by(schema.apify_runs.c.id)).all()


def by_lead(outcomes):
    out = {}
    for o in outcomes:
        assert o.lead_id not in out, "one outcome per request"
        out[o.lead_id] = o
    return out


def assert_no_double_charge(fake):
    dup = [k for k, c in Counter(fake.charged_keys()).items() if c > 1]
    assert dup == [], f"charged twice: {dup}"


def test_happy_path_batches_runs_cache_and_records(settings, db, fake):
    s = mk_settings(settings, fake)
    reqs = leads(7)
    urn = "ACoAAZATzX3yczGGWjo07YAsNSnwkoOK3TRB_4f"
    reqs.append(EnrichRequest(lead_id=100, key=urn, url=f"https://www.linkedin.com/in/{urn}", profile_id=urn))
    p = mk_provider(s, db)
    est = p.estimate(reqs)
    assert est == {"requests": 8, "profiles_to_scrape": 8, "cached": 0, "in_flight": 0, "invalid": 0, "no_url": 0,
                   "runs_to_start": 3, "cost_usd": round(8 * 0.003 + 3 * 0.002, 4)}
    out = by_lead(p.enrich(reqs))
    assert set(out) == {r.lead_id for r in reqs}
    for o in out.values():
        assert o.error is None and o.profile is not None and o.item is not None
        assert o.profile.source == "apify" and o.profile.company
    assert out[100].profile.profile_id == urn  # matched by profileId, case kept
    assert len(fake.started) == 3
    assert_no_double_charge(fake)
    rs = rows(db)
    assert len(rs) == 3
    assert sorted(lid for r in rs for lid in r.lead_ids) == sorted(r.lead_id for r in reqs)
    for r in rs:
        assert r.status == "SUCCEEDED" and r.apify_run_id in fake.started and r.collected_at is not None
        assert r.items_count == len(r.input_urls) == r.matched_count
        assert float(r.cost_usd) == pytest.approx(0.002 + 0.003 * r.items_count)
        assert r.owner == p.owner and r.actor_id == "yZnhB5JewWf9xSmoM" and r.dataset_id
    assert p.stats["runs_started"] == 3 and p.stats["items_charged"] == 8

    # a second pass (same people, other leads, e.g. another client): all from the cache, no run
    again = [EnrichRequest(lead_id=r.lead_id + 1000, key=r.key, url=r.url, profile_id=r.profile_id, vanity=r.vanity)
             for r in reqs]
    p2 = mk_provider(s, db)
    assert p2.estimate(again)["profiles_to_scrape"] == 0 and p2.estimate(again)["cached"] == 8
    out2 = by_lead(p2.enrich(again))
    assert all(o.profile and o.from_cache and o.note == "served from the profile cache" for o in out2.values())
    assert not any(o.from_cache for o in out.values())
    assert len(fake.started) == 3


def test_same_person_twice_is_sent_once(settings, db, fake):
    s = mk_settings(settings, fake)
    a = EnrichRequest(1, "dup-person", "https://www.linkedin.com/in/dup-person", vanity="dup-person")
    b = EnrichRequest(2, "dup-person", "https://www.linkedin.com/in/Dup-Person/?lipi=abc", vanity="dup-person")
    out = by_lead(mk_provider(s, db).enrich([a, b]))
    assert out[1].profile and out[2].profile
    assert len(fake.charged) == 1 and len(fake.started) == 1


def test_transient_errors_are_retried(settings, db, fake):
    s = mk_settings(settings, fake)
    fake.fail_next("POST", "/acts/", 429, times=2, headers={"Retry-After": "0"})
    fake.fail_next("GET", "/actor-runs/", 503, times=2)
    fake.fail_next("GET", "/actor-runs/", -1, times=1)  # dropped connection
    fake.fail_next("GET", "/datasets/", 500, times=1)
    fake.fail_next("GET", "/datasets/", 429, times=1, headers={"Retry-After": "0"})
    p = mk_provider(s, db)
    out = by_lead(p.enrich(leads(3)))
    assert all(o.profile for o in out.values())
    assert len(fake.started) == 1  # 429 on start is safe to retry: nothing started
    assert p.stats["retries"] >= 7
    assert_no_double_charge(fake)


def test_lost_start_response_is_reconciled_not_restarted(settings, db, fake):
    s = mk_settings(settings, fake)
    fake.fail_next("POST", "/acts/", -502)  # the run starts, the answer is a 502
    fake.add_foreign_run(["https://www.linkedin.com/in/someone-else"])  # not ours: must not be adopted
    p = mk_provider(s, db)
    out = by_lead(p.enrich(leads(3)))
    assert all(o.profile for o in out.values())
    assert len(fake.started) == 1 and p.stats["reconciled"] == 1
    (r,) = rows(db)
    assert r.apify_run_id == fake.started[0] and r.status == "SUCCEEDED"
    assert_no_double_charge(fake)


def test_failed_run_partial_dataset_then_retry(settings, db, fake):
    s = mk_settings(settings, fake, apify_batch_size=10)
    fake.next_run_outcomes.extend(["FAILED"])
    fake.rng.seed(3)
    reqs = leads(10)
    p = mk_provider(s, db)
    out = by_lead(p.enrich(reqs))
    ok = [o for o in out.values() if o.profile]
    bad = [o for o in out.values() if not o.profile]
    assert len(ok) == len(fake.charged) < 10
    assert bad and all(o.retryable and "FAILED" in o.error for o in bad)
    (r,) = rows(db)
    assert r.status == "FAILED" and r.items_count == len(ok) and r.collected_at is not None
    # the pipeline retries the retryable leads: only they are scraped, nothing twice
    retry = [x for x in reqs if x.lead_id in {o.lead_id for o in bad}]
    out2 = by_lead(mk_provider(s, db).enrich(retry))
    assert all(o.profile for o in out2.values())
    assert len(fake.charged) == 10
    assert_no_double_charge(fake)


def test_unscrapable_profile_is_retryable_with_reason(settings, db, fake):
    s = mk_settings(settings, fake)
    fake.cfg.unscrapable = {"lead-1"}
    out = by_lead(mk_provider(s, db).enrich(leads(3)))
    assert out[2].profile is None and out[2].retryable
    assert "not returned" in out[2].error and "SUCCEEDED" in out[2].error
    assert out[1].profile and out[3].profile


def test_actor_timeout_gives_timed_out_partial(settings, db, fake):
    s = mk_settings(settings, fake, apify_run_timeout_s=1, apify_batch_size=4)
    fake.next_run_durations.append(2.0)
    out = by_lead(mk_provider(s, db).enrich(leads(4)))
    (r,) = rows(db)
    assert r.status == "TIMED-OUT"
    assert sum(1 for o in out.values() if o.profile) == r.items_count == 2
    assert all(o.retryable and "TIMED-OUT" in o.error for o in out.values() if not o.profile)


def test_dataset_pagination(settings, db, fake):
    s = mk_settings(settings, fake, apify_batch_size=5)
    p = ApifyProvider(s, db, None, poll_wait_s=2, max_backoff_s=0.05, dataset_page_size=2)
    out = by_lead(p.enrich(leads(5)))
    assert all(o.profile for o in out.values())
    pages = [x for x in fake.requests if x[1].startswith("/v2/datasets/")]
    assert len(pages) == 3  # 2 + 2 + 1


def test_concurrency_limit(settings, db, fake):
    s = mk_settings(settings, fake, apify_batch_size=1, apify_max_concurrent_runs=2)
    fake.cfg.run_duration_s = 0.3
    out = by_lead(mk_provider(s, db).enrich(leads(6)))
    assert all(o.profile for o in out.values())
    spans = sorted((r.started, r.started + r.duration) for r in fake.runs.values())
    peak = max(sum(1 for a, b in spans if a <= t < b) for t, _ in spans)
    assert len(spans) == 6 and peak <= 2


def test_bad_token_and_missing_token(settings, db, fake):
    s = mk_settings(settings, fake, apify_api_token="wrong")
    p = mk_provider(s, db)
    with pytest.raises(ApifyFatalError, match="401"):
        list(p.enrich(leads(2)))
    (r,) = rows(db)
    assert r.status == "NOT_STARTED" and r.apify_run_id is None
    assert fake.started == []
    with pytest.raises(ApifyFatalError, match="not set"):
        list(mk_provider(mk_settings(settings, fake, apify_api_token=None), db).enrich(leads(1)))


def test_invalid_url_is_a_permanent_error(settings, db, fake):
    s = mk_settings(settings, fake)
    r = EnrichRequest(1, "x", "https://www.linkedin.com/company/acme")
    (o,) = list(mk_provider(s, db).enrich([r]))
    assert o.error and not o.retryable and "not a LinkedIn profile URL" in o.error
    assert fake.started == []


def test_lead_without_profile_url_is_not_sent_and_gets_the_page_profile(settings, db, fake):
    s = mk_settings(settings, fake)
    no_url = [
        EnrichRequest(50, "name:tamsin okafor|veldmark staffing", "",
                      page=Profile(name="Tamsin Okafor", headline="Procurement Manager at Veldmark Staffing",
                                   titles=["Procurement Manager"], company="Veldmark Staffing", source="page")),
        EnrichRequest(51, "name:oskar lind|", "", page=Profile(name="Oskar Lind")),
    ]
    out = by_lead(mk_provider(s, db).enrich(leads(2) + no_url))
    assert len(out) == 4 and out[1].profile.source == "apify" and out[2].profile.source == "apify"
    for lid in (50, 51):
        o = out[lid]
        assert o.fallback and o.error is None and o.item is None
        assert o.note == NO_URL_NOTE and o.profile.source == "page"
    assert out[50].profile.titles == ["Procurement Manager"] and out[50].profile.company == "Veldmark Staffing"
    urls = [u for r in rows(db) for u in r.input_urls]
    assert sorted(urls) == ["https://www.linkedin.com/in/lead-0", "https://www.linkedin.com/in/lead-1"]
    est = mk_provider(s, db).estimate(no_url)
    assert (est["no_url"], est["profiles_to_scrape"], est["invalid"]) == (2, 0, 0)


# --- crash recovery ---------------------------------------------------------------------------------

DEAD_OWNER = f"{os.uname().nodename}:999999:deadbeef"


def _insert_row(db, urls, lead_ids, owner=DEAD_OWNER, **kw):
    import socket

    owner = owner.replace(os.uname().nodename, socket.gethostname())
    with db.begin() as conn:
        return conn.execute(sa.insert(schema.apify_runs).values(
            actor_id="yZnhB5JewWf9xSmoM", input_urls=urls, lead_ids=lead_ids, owner=owner, **kw,
        ).returning(schema.apify_runs.c.id)).scalar()


def test_resume_running_row_collects_instead_of_restarting(settings, db, fake):
    s = mk_settings(settings, fake)
    reqs = leads(3)
    run = fake._new_run({"urls": [{"url": r.url} for r in reqs]})  # started by the dead process
    fake.started.append(run.id)
    row_id = _insert_row(db, [r.url for r in reqs], [r.lead_id for r in reqs], status="RUNNING",
                         apify_run_id=run.id, dataset_id=run.dataset_id)
    p = mk_provider(s, db)
    assert p.estimate(reqs)["in_flight"] == 3 and p.estimate(reqs)["runs_to_start"] == 0
    out = by_lead(p.enrich(reqs))
    assert all(o.profile and "resumed" in o.note for o in out.values())
    assert fake.started == [run.id]  # no new run
    (r,) = rows(db)
    assert r.id == row_id and r.owner == p.owner and r.status == "SUCCEEDED" and r.collected_at
    assert_no_double_charge(fake)


def test_resume_pending_row_that_did_start(settings, db, fake):
    s = mk_settings(settings, fake)
    reqs = leads(2)
    row_id = _insert_row(db, [r.url for r in reqs], [r.lead_id for r in reqs], status="PENDING")
    run = fake._new_run({"urls": [{"url": r.url} for r in reversed(reqs)], "scrapeCompany": False})
    fake.started.append(run.id)
    p = mk_provider(s, db)
    out = by_lead(p.enrich(reqs))
    assert all(o.profile for o in out.values())
    assert fake.started == [run.id] and p.stats["reconciled"] == 1
    (r,) = rows(db)
    assert r.id == row_id and r.apify_run_id == run.id and r.status == "SUCCEEDED"


def test_resume_pending_row_that_never_started(settings, db, fake):
    s = mk_settings(settings, fake)
    reqs = leads(2)
    fake.add_foreign_run(["https://www.linkedin.com/in/other"])
    row_id = _insert_row(db, [r.url for r in reqs], [r.lead_id for r in reqs], status="PENDING")
    p = mk_provider(s, db)
    out = by_lead(p.enrich(reqs))
    assert all(o.profile for o in out.values())
    rs = rows(db)
    assert rs[0].id == row_id and rs[0].status == "NOT_STARTED"
    assert rs[1].status == "SUCCEEDED" and len(fake.started) == 1  # our new run (the foreign one is not in `started`)
    assert fake.aborted == []


def test_rows_of_a_live_owner_are_left_alone(settings, db, fake):
    import socket

    s = mk_settings(settings, fake)
    reqs = leads(2)
    live = f"{socket.gethostname()}:{os.getppid()}:cafebabe"
    _insert_row(db, [r.url for r in reqs], [r.lead_id for r in reqs], owner=live, status="RUNNING",
                apify_run_id="someoneElseRun")
    out = by_lead(mk_provider(s, db).enrich(reqs))
    assert all(o.retryable and "another worker" in o.error for o in out.values())
    assert fake.started == []


def test_cancel_aborts_only_own_runs_and_partial_data_is_collected_later(settings, db, fake):
    s = mk_settings(settings, fake, apify_batch_size=4)
    foreign = fake.add_foreign_run(["https://www.linkedin.com/in/foreign-1"])
    fake.next_run_durations.append(30.0)
    reqs = leads(4)
    p = mk_provider(s, db)
    got = []
    t = threading.Thread(target=lambda: got.extend(p.enrich(reqs)))
    t.start()
    for _ in range(200):
        if any(r.apify_run_id for r in rows(db)):
            break
        time.sleep(0.02)
    aborted = p.cancel()
    t.join(10)
    assert not t.is_alive()
    (r,) = rows(db)
    assert aborted == [r.apify_run_id] and fake.aborted == [r.apify_run_id]
    assert foreign not in fake.aborted and fake.runs[foreign].status == "RUNNING"
    # cancelled: no failure is reported (the leads stay as they were); what was scraped is kept
    assert all(o.profile for o in got)
    # a later worker collects the aborted run's partial dataset and scrapes only the rest
    p2 = mk_provider(s, db)
    out = by_lead(p2.enrich(reqs))
    assert all(o.profile for o in out.values())
    assert_no_double_charge(fake)
    assert fake.runs[foreign].status == "RUNNING"


def test_recover_collects_orphans_into_cache(settings, db, fake):
    s = mk_settings(settings, fake)
    reqs = leads(2, prefix="orphan")
    run = fake._new_run({"urls": [{"url": r.url} for r in reqs]})
    _insert_row(db, [r.url for r in reqs], [r.lead_id for r in reqs], status="RUNNING",
                apify_run_id=run.id, dataset_id=run.dataset_id)
    p = mk_provider(s, db)
    assert p.recover() == {"claimed": 1, "collected": 1, "items": 2, "not_started": 0}
    with db.begin() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM profile_cache")).scalar() == 2
    out = by_lead(mk_provider(s, db).enrich(reqs))
    assert all(o.note == "served from the profile cache" for o in out.values())


def test_fake_item_shape_is_extractable():
    item = make_item("https://www.linkedin.com/in/some-one")
    from icp_engine.enrich.extract import profile_from_apify_item

    p = profile_from_apify_item(item)
    assert p.vanity == "some-one" and p.titles and p.company and p.company_size


def test_recorded_run_unknown_to_apify_is_closed_as_lost(settings, db, fake):
    s = mk_settings(settings, fake)
    reqs = leads(2)
    _insert_row(db, [r.url for r in reqs], [r.lead_id for r in reqs], status="RUNNING", apify_run_id="gone404")
    out = by_lead(mk_provider(s, db).enrich(reqs))
    assert all(o.retryable and "not found" in o.error for o in out.values())
    (r,) = rows(db)
    assert r.status == "LOST" and r.collected_at is not None
    out = by_lead(mk_provider(s, db).enrich(reqs))  # the next attempt scrapes them
    assert all(o.profile for o in out.values()) and len(fake.started) == 1


def test_hostile_fake_small_batch_every_lead_resolved(settings, db):
    """A small version of benchmarks/bench_apify.py: 20 % failed requests, 10 % failed runs, lost starts."""
    cfg = FakeApifyConfig(token=TOKEN, run_duration_s=0.05, fail_rate=0.2, run_failure_rate=0.1,
                          lost_start_rate=0.05, partial_rate=0.1, unscrapable={"lead-5"}, seed=21)
    with FakeApify(cfg) as f:
        s = mk_settings(settings, f, apify_batch_size=8, apify_max_concurrent_runs=3)
        reqs = {r.lead_id: r for r in leads(60)}
        attempts: Counter = Counter()
        final: dict = {}
        while len(final) < len(reqs):
            todo = [r for i, r in reqs.items() if i not in final]
            for o in mk_provider(s, db).enrich(todo):
                attempts[o.lead_id] += 1
                if o.profile or not o.retryable or attempts[o.lead_id] >= 3:
                    final[o.lead_id] = o
            assert max(attempts.values()) <= 3
        assert all(o.profile or o.error for o in final.values())
        assert final[6].profile is None and "not returned" in final[6].error
        # the fake's failures come from a seeded RNG, but run threads draw from it in a timing-
        # dependent order: a scrapable lead may lose all 3 attempts (~1 % each), so allow a few
        ok = sum(1 for o in final.values() if o.profile)
        assert 55 <= ok <= 59
        failed = [o for o in final.values() if not o.profile]
        assert all(o.error and o.retryable for o in failed)  # every failure carries its reason
        assert_no_double_charge(f)
        assert len(f.charged) == ok  # paid exactly for the profiles delivered
