"""Benchmark: live Apify enrichment of 5,000 leads against a hostile fake Apify (issue 4 "Done when").

The fake (tests/fakes/fake_apify.py, real REST shapes on loopback) fails 20 % of requests (429 with
Retry-After, 500, 502, 503), ends 10 % of runs FAILED / TIMED-OUT with partial datasets, loses the
answer of 2 % of run starts (the run did start: the ambiguous case), returns partial datasets for
5 % of runs, and never returns 0.5 % of the profiles (private). The pipeline's retry loop is
simulated here: a lead whose outcome is retryable is sent again, at most 3 attempts in all, then it
is failed with its reason. With ``--interrupt-after N`` the first pass stops consuming outcomes
after N leads (like a killed worker) and the next pass must collect its runs instead of paying again.

Prints runs started, items charged, retries, wall time, per-status counts, and checks:
no profile charged twice; every lead ends enriched or failed with a reason.

    python benchmarks/bench_apify.py [--leads 5000] [--fail-rate 0.2] [--run-failure-rate 0.1]

Uses a throw-away embedded Postgres in a temp dir (or ``--database-url``, whose apify_runs and
profile_cache tables are EMPTIED - only point it at a scratch database).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import sqlalchemy as sa  # noqa: E402

from fakes.fake_apify import FakeApify, FakeApifyConfig, fake_profile_id  # noqa: E402
from icp_engine.config import Settings  # noqa: E402
from icp_engine.enrich import EnrichRequest  # noqa: E402
from icp_engine.enrich.apify import ApifyProvider  # noqa: E402
from icp_engine.db import Database, stop_embedded_postgres  # noqa: E402

MAX_ATTEMPTS = 3


def make_requests(n: int) -> list[EnrichRequest]:
    reqs = []
    for i in range(n):
        if i % 4 == 0:  # URN-style link (members outside the network)
            pid = fake_profile_id(f"urn-person-{i}")
            reqs.append(EnrichRequest(lead_id=i + 1, key=pid, url=f"https://www.linkedin.com/in/{pid}", profile_id=pid))
        else:
            v = f"bench-person-{i}"
            reqs.append(EnrichRequest(lead_id=i + 1, key=v, url=f"https://www.linkedin.com/in/{v}", vanity=v))
    return reqs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--leads", type=int, default=5000)
    ap.add_argument("--fail-rate", type=float, default=0.2)
    ap.add_argument("--run-failure-rate", type=float, default=0.1)
    ap.add_argument("--lost-start-rate", type=float, default=0.02)
    ap.add_argument("--partial-rate", type=float, default=0.05)
    ap.add_argument("--private-share", type=float, default=0.005)
    ap.add_argument("--batch-size", type=int, default=100)
    ap.add_argument("--concurrency", type=int, default=5)
    ap.add_argument("--run-duration", type=float, default=0.3, help="seconds per fake actor run")
    ap.add_argument("--interrupt-after", type=int, default=1500, help="0 = no simulated crash")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--database-url", default=None)
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="icp-bench-apify-", dir="/tmp"))
    settings = Settings(icp_data_dir=tmp, database_url=args.database_url, openai_api_key=None)
    db = Database(settings)
    with db.begin() as conn:
        conn.execute(sa.text("TRUNCATE apify_runs, profile_cache RESTART IDENTITY"))

    reqs = make_requests(args.leads)
    private = {r.key for i, r in enumerate(reqs) if args.private_share and i % int(1 / args.private_share) == 7}
    cfg = FakeApifyConfig(
        token="bench-token", run_duration_s=args.run_duration, fail_rate=args.fail_rate, retry_after_s=0,
        run_failure_rate=args.run_failure_rate, lost_start_rate=args.lost_start_rate,
        partial_rate=args.partial_rate, unscrapable=private, seed=args.seed,
    )
    status: dict[int, str] = {}
    reasons: dict[int, str] = {}
    attempts: Counter[int] = Counter()
    totals: Counter[str] = Counter()
    by_id = {r.lead_id: r for r in reqs}
    t0 = time.perf_counter()
    with FakeApify(cfg) as fake:
        s = settings.model_copy(update=dict(
            apify_api_token="bench-token", apify_api_base_url=fake.base_url, apify_batch_size=args.batch_size,
            apify_max_concurrent_runs=args.concurrency, http_max_attempts=5,
        ))
        provider0 = ApifyProvider(s, db, None, poll_wait_s=5, max_backoff_s=1.0)
        est = provider0.estimate(reqs)
        print(f"estimate before: {est}")
        pending = [r.lead_id for r in reqs]
        passes = 0
        interrupted = False
        while pending:
            passes += 1
            provider = ApifyProvider(s, db, None, poll_wait_s=5, max_backoff_s=1.0)
            batch = [by_id[i] for i in pending]
            seen = 0
            gen = provider.enrich(batch)
            for o in gen:
                seen += 1
                attempts[o.lead_id] += 1
                if o.profile is not None:
                    status[o.lead_id] = "enriched"
                elif o.retryable and attempts[o.lead_id] < MAX_ATTEMPTS:
                    reasons[o.lead_id] = o.error or "?"
                else:
                    status[o.lead_id] = "failed"
                    reasons[o.lead_id] = o.error or ""
                if args.interrupt_after and not interrupted and seen >= args.interrupt_after:
                    interrupted = True
                    gen.close()  # the worker "dies": runs in flight stay recorded, uncollected
                    print(f"pass {passes}: interrupted after {seen} outcomes")
                    break
            for k, v in provider.stats.items():
                totals[k] += v
            pending = [i for i in pending if i not in status]
            print(f"pass {passes}: {seen} outcomes, {len(pending)} leads still pending, stats={provider.stats}")
            if passes > MAX_ATTEMPTS + 3:
                print("too many passes; giving up")
                break
        wall = time.perf_counter() - t0

        charged = fake.charged_keys()
        dup = {k: c for k, c in Counter(charged).items() if c > 1}
        with db.begin() as conn:
            run_status = dict(conn.execute(sa.text("SELECT status, count(*) FROM apify_runs GROUP BY status")).all())
            cost = conn.execute(sa.text("SELECT coalesce(sum(cost_usd), 0) FROM apify_runs")).scalar()
            uncollected = conn.execute(sa.text(
                "SELECT count(*) FROM apify_runs WHERE collected_at IS NULL AND status <> 'NOT_STARTED'")).scalar()
        err_responses = sum(1 for _, _, st in fake.requests if st >= 400)
        n_enriched = sum(1 for v in status.values() if v == "enriched")
        n_failed = sum(1 for v in status.values() if v == "failed")
        print()
        print(f"leads                 {len(reqs)}")
        print(f"enriched              {n_enriched}")
        print(f"failed (with reason)  {n_failed}   (private profiles in the fake: {len(private)})")
        print(f"passes                {passes}")
        print(f"runs started (fake)   {len(fake.started)}   aborted: {len(fake.aborted)}")
        print(f"apify_runs rows       {dict(run_status)}   uncollected: {uncollected}")
        print(f"items charged (fake)  {len(charged)}   distinct profiles: {len(set(charged))}")
        print(f"retries (client)      {totals['retries']}   error responses from fake: {err_responses} "
              f"of {len(fake.requests)} requests")
        print(f"reconciled starts     {totals['reconciled']}   resumed rows: {totals['runs_resumed']}")
        print(f"cost recorded (USD)   {float(cost):.3f}")
        print(f"wall time             {wall:.1f} s")
        print()
        ok = True
        if dup:
            ok = False
            print(f"FAIL: {len(dup)} profiles charged twice, e.g. {list(dup.items())[:5]}")
        else:
            print("OK: no profile charged twice")
        unresolved = [i for i in by_id if i not in status]
        no_reason = [i for i, v in status.items() if v == "failed" and not reasons.get(i)]
        if unresolved or no_reason:
            ok = False
            print(f"FAIL: {len(unresolved)} leads unresolved, {len(no_reason)} failed without a reason")
        else:
            print("OK: every lead ended enriched or failed with a reason")
        for reason, c in Counter(reasons[i] for i, v in status.items() if v == "failed").most_common(3):
            print(f"   failed x{c}: {reason[:110]}")
    db.dispose()
    if not args.database_url:
        stop_embedded_postgres(tmp)
    shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
