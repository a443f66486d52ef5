"""Benchmark: no follower lost with live Apify, a SIGKILL and the same command again (issue 8).

Writes a saved classic connections page of ``--followers`` invented people, starts the hostile
fake Apify of tests/fakes/fake_apify.py on loopback (``--fail-rate`` of requests answered 429/5xx,
``--run-failure-rate`` of runs ending FAILED / TIMED-OUT with partial datasets, ``--missing``
profiles never in any dataset), runs ``python -m icp_engine run --enrich apify`` as a user would,
SIGKILLs it as soon as an actor run is in flight, then gives the same command again.

Prints: people in the page, rows in the CSV, leads scored on the upload's data only (with the
reason in the CSV), profiles charged, profiles charged twice, actor runs, wall times, and the
command's summary line. Checks: every follower is in the CSV, no profile charged twice.

    python benchmarks/bench_nothing_lost.py [--followers 300] [--missing 6] [--no-kill]

Uses a throw-away ICP_DATA_DIR (its own embedded Postgres), removed at the end.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import sqlalchemy as sa  # noqa: E402

from fakes.fake_apify import FakeApify, FakeApifyConfig  # noqa: E402
from icp_engine.config import Settings  # noqa: E402
from icp_engine.db import Database, stop_embedded_postgres  # noqa: E402

TOKEN = "bench-token"


def classic_page(n: int) -> str:
    """A saved classic connections page (markup of tests/fixtures/ingest/connections_classic.html)."""
    cards = "".join(
        f'<li class="list-style-none"><div class="mn-connection-card artdeco-list">'
        f'<a href="/in/bench-{i:05d}/" class="mn-connection-card__picture"><span class="visually-hidden">'
        f'Status is offline</span></a><div class="mn-connection-card__details">'
        f'<a href="/in/bench-{i:05d}/" class="mn-connection-card__link">'
        f'<span class="mn-connection-card__name">Person {i:05d}</span>'
        f'<span class="mn-connection-card__occupation">{"CFO" if i % 3 else "Engineer"} at Company {i % 97}</span>'
        f'</a></div></div></li>'
        for i in range(n)
    )
    return ('<!DOCTYPE html><html lang="en"><head><title>Connections | LinkedIn</title></head><body><main>'
            f'<section class="mn-connections"><header><h1>{n} Connections</h1></header><ul>{cards}</ul>'
            '</section></main></body></html>')


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--followers", type=int, default=300)
    ap.add_argument("--missing", type=int, default=6, help="profiles the fake never returns (private)")
    ap.add_argument("--fail-rate", type=float, default=0.2)
    ap.add_argument("--run-failure-rate", type=float, default=0.1)
    ap.add_argument("--run-duration", type=float, default=1.0, help="seconds an actor run takes in the fake")
    ap.add_argument("--batch-size", type=int, default=25)
    ap.add_argument("--no-kill", action="store_true", help="one command, no SIGKILL")
    ap.add_argument("--seed", type=int, default=8)
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="icp-bench-lost-", dir="/tmp"))
    page = tmp / "connections.html"
    page.write_text(classic_page(args.followers), encoding="utf-8")
    icp = tmp / "icp.json"
    icp.write_text(json.dumps({"target_titles": ["CFO"]}))
    out = tmp / "out.csv"
    step = max(1, args.followers // max(1, args.missing))
    gone = {f"bench-{i:05d}" for i in range(step // 2, args.followers, step)[: args.missing]}
    cfg = FakeApifyConfig(token=TOKEN, run_duration_s=args.run_duration, fail_rate=args.fail_rate,
                          run_failure_rate=args.run_failure_rate, unscrapable=gone, seed=args.seed)
    cmd = [sys.executable, "-m", "icp_engine", "run", "--client", "Bench", "--icp", str(icp), "--input", str(page),
           "--enrich", "apify", "--no-classify", "--out", str(out)]
    settings = Settings(icp_data_dir=tmp / "data", database_url=None)
    db = Database(settings)
    try:
        with FakeApify(cfg) as fake:
            env = dict(os.environ, ICP_DATA_DIR=str(tmp / "data"), APIFY_API_TOKEN=TOKEN,
                       APIFY_API_BASE_URL=fake.base_url, APIFY_BATCH_SIZE=str(args.batch_size),
                       APIFY_MAX_CONCURRENT_RUNS="4")
            for k in ("DATABASE_URL", "OPENAI_API_KEY"):
                env.pop(k, None)
            t0 = time.perf_counter()
            proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            killed_after = None
            if not args.no_kill:
                while proc.poll() is None:
                    with db.connect() as conn:
                        flying = conn.execute(sa.text(
                            "SELECT count(*) FROM apify_runs WHERE apify_run_id IS NOT NULL AND collected_at IS NULL"
                        )).scalar_one()
                    if flying:
                        proc.send_signal(signal.SIGKILL)
                        killed_after = time.perf_counter() - t0
                        break
                    time.sleep(0.05)
            first_out = proc.communicate(timeout=1200)[0]
            t_first = time.perf_counter() - t0
            with db.connect() as conn:
                in_flight = conn.execute(sa.text("SELECT count(*) FROM apify_runs WHERE collected_at IS NULL")).scalar_one()
                charged_first = len(fake.charged_keys())
            second_out = ""
            t_second = 0.0
            if killed_after is not None:
                t1 = time.perf_counter()
                res = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
                t_second = time.perf_counter() - t1
                second_out = res.stdout + res.stderr
                if res.returncode != 0:
                    raise SystemExit(f"the second command failed:\n{second_out[-3000:]}")
            charged = Counter(fake.charged_keys())
            started = len(fake.started)
        rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
        with db.connect() as conn:
            statuses = Counter(conn.execute(sa.text("SELECT status FROM leads")).scalars())
            noted = conn.execute(sa.text("SELECT count(*) FROM leads WHERE enrichment_note IS NOT NULL")).scalar_one()
        not_enriched = [r for r in rows if r["match_reasoning"].startswith("enrichment:")]
        said = " ".join((second_out or first_out).split())  # rich wraps long lines
        summary = said[said.find("wrote "):].split(" INFO:")[0] if "wrote " in said else ""
        print(f"followers in the page      {args.followers}")
        print(f"rows in the CSV            {len(rows)}")
        print(f"lead statuses              {dict(statuses)}")
        print(f"scored on upload data only {len(not_enriched)} (enrichment_note set on {noted} leads; "
              f"{len(gone)} profiles never returned by the fake)")
        print(f"profiles charged           {len(charged)} (twice: {sum(1 for v in charged.values() if v > 1)})")
        print(f"actor runs started         {started}")
        if killed_after is not None:
            print(f"SIGKILL after              {killed_after:.1f} s ({charged_first} profiles charged, "
                  f"{in_flight} recorded runs uncollected)")
            print(f"same command again         {t_second:.1f} s")
        else:
            print(f"one command                {t_first:.1f} s")
        print(f"summary line               {summary}")
        ok = len(rows) == args.followers and max(charged.values()) == 1
        print("CHECK every follower in the CSV, nothing charged twice:", "OK" if ok else "FAILED")
        if not ok:
            raise SystemExit(1)
    finally:
        db.dispose()
        stop_embedded_postgres(tmp / "data")
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
