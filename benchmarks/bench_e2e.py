"""End-to-end timing of the main job on this machine: saved page in, ranked CSV out (issue 15).

Two modes.

**Stages** (default): for each size N (default 1,000, 10,000, 50,000 and 100,000) a *fresh
process* generates a followers page with realistic variety (:mod:`follower_pages`: ~9,000
distinct job titles with Zipf-like frequencies, thousands of companies and headline forms), then
times each step through the engine the CLI uses: parse, store (one transaction), the run's
stages with the offline defaults (page enrichment, classification, WordLlama whole-profile
vectors, scoring) executed by the job queue, and the CSV export. Every row is a first run in a
fresh process: model loading, imports and the first parse's page faults are included (``start``
is the engine start: embedded Postgres + migrations). ``peak MB`` is that process's peak RSS.
Stage times come from the run's own record (``runs.actual["stage_seconds"]``), or from polling
the run's stage every 0.1 s when the record is absent. A fresh embedded Postgres in a temporary
folder is used (or ``DATABASE_URL``).

**CLI** (``--cli``): runs ``python -m icp_engine run`` on a generated page per size under
``/usr/bin/time``, exactly as a user would (offline defaults, ``ICP_DATA_DIR`` of its own), and
prints wall-clock seconds, peak RSS and the load average before each run; ``--repeat K`` runs
each size K times and prints the median.

    python benchmarks/bench_e2e.py [N ...] [--warm]
    python benchmarks/bench_e2e.py --cli [N ...] [--repeat 3] [--data-dir /tmp/icp-bench-cli]

``--warm`` adds a second row per size in the same process (what a long-lived dashboard sees).
Targets (issue 15, CLI, 2 cores): 10k <= 8 s; 50k <= 45 s and <= 1.5 GB; 100k <= 100 s and
<= 2.5 GB; a fresh process's parse of the 50k page <= 3 s.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

ICP_FINANCE = {
    "target_titles": ["CFO", "VP Finance", "Head of Finance"],
    "target_industries": ["Software Development", "Financial Services"],
    "company_sizes": ["51-200", "201-500"],
}
STAGES = ("enrich", "classify", "embed", "score")
COLS = ("start", "parse", "store", *STAGES, "export", "total")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def one_size(n: int, repeats: int, data_dir: Path) -> list[dict]:
    """Time the steps for ``n`` followers in this process (``repeats`` rows: first, then warm)."""
    from follower_pages import make_page

    t = time.perf_counter()
    from icp_engine.config import Settings
    from icp_engine.domain import ICP
    from icp_engine.engine import Engine
    from icp_engine.pipeline import RunOptions

    settings = Settings(icp_data_dir=data_dir, database_url=os.environ.get("DATABASE_URL"),
                        max_upload_bytes=1 << 30)
    eng = Engine(settings)
    start_s = time.perf_counter() - t
    page = make_page(n, seed=n)
    rows = []
    for rep in range(repeats):
        load = _load()
        client = eng.create_client(f"bench-{n}-{rep}-{time.time_ns()}")
        eng.save_icp(client["id"], ICP(**ICP_FINANCE))
        t0 = time.perf_counter()
        parsed = eng.parse_upload("followers.html", page)
        t1 = time.perf_counter()
        batch = eng.ingest_followers(client["id"], parsed.people, batch_name="bench", source_kind=parsed.kind)
        people = len(parsed.people)
        del parsed
        t2 = time.perf_counter()
        run_id = eng.create_run(client["id"], batch_id=batch["id"], options=RunOptions())
        marks: dict[str, float] = {}
        stop = threading.Event()

        def poll(run_id=run_id, marks=marks, stop=stop, client_id=client["id"]):
            # the run's stage as the dashboard sees it, every 0.1 s (fallback when no stage record)
            while not stop.is_set():
                try:
                    st = eng.runs.list_runs(client_id, limit=1)[0]["stage"]
                    marks.setdefault(st, time.perf_counter())
                except Exception:  # noqa: BLE001 - best effort
                    pass
                stop.wait(0.1)

        th = threading.Thread(target=poll, daemon=True)
        th.start()
        eng.execute_run(run_id)
        t3 = time.perf_counter()
        stop.set()
        th.join()
        csv_bytes = eng.export_csv(client["id"], batch_id=batch["id"])
        t4 = time.perf_counter()
        recorded = (eng.runs.list_runs(client["id"], limit=1)[0].get("actual") or {}).get("stage_seconds")
        row: dict = {"n": n, "first": rep == 0, "start": start_s if rep == 0 else 0.0, "parse": t1 - t0,
                     "store": t2 - t1, "export": t4 - t3, "total": t4 - t0 + (start_s if rep == 0 else 0.0),
                     "run": t3 - t2, "leads": people, "csv_mb": len(csv_bytes) / 1e6, "load": load}
        if recorded:
            for s in STAGES:
                row[s] = float(recorded.get(s, 0.0))
        else:
            seq = [marks.get(s) for s in (*STAGES, "done")]
            for i, s in enumerate(STAGES):
                a = seq[i]
                b = next((x for x in seq[i + 1:] if x is not None), t3)
                row[s] = (b - a) if a is not None else 0.0
        row["peak_mb"] = _peak_mb()
        rows.append(row)
        del csv_bytes
    eng.db.dispose()
    return rows


def _print_header() -> None:
    print(f"{'followers':>9} {'run':>5} " + " ".join(f"{c:>8}" for c in COLS) + f" {'peak MB':>8}  load")


def _print_row(r: dict) -> None:
    print(f"{r['n']:>9,} {'first' if r['first'] else 'warm':>5} " + " ".join(f"{r.get(c, 0.0):>8.2f}" for c in COLS)
          + f" {r['peak_mb']:>8.0f}  {r['load']}   ({r['leads']:,} leads, {r['csv_mb']:.1f} MB CSV)", flush=True)


def stages_mode(sizes: list[int], warm: bool) -> int:
    data_dir = Path(tempfile.mkdtemp(prefix="icp-bench-", dir="/tmp"))
    print(f"stage seconds, one fresh process per size (data folder {data_dir}); load = 1/5/15-min load average")
    _print_header()
    try:
        for n in sizes:
            cmd = [sys.executable, __file__, "--one", str(n), "--data-dir", str(data_dir)] + (["--warm"] if warm else [])
            out = subprocess.run(cmd, capture_output=True, text=True)
            got = [json.loads(line[5:]) for line in out.stdout.splitlines() if line.startswith("ROW: ")]
            if out.returncode or not got:
                print(f"{n:>9,}: failed (exit {out.returncode})\n{out.stderr[-3000:]}")
                continue
            for r in got:
                _print_row(r)
    finally:
        if not os.environ.get("DATABASE_URL"):
            from icp_engine.db import stop_embedded_postgres

            stop_embedded_postgres(data_dir)
        shutil.rmtree(data_dir, ignore_errors=True)
    return 0


_TIME_RE = re.compile(r"^WALL ([\d.]+) RSS (\d+) USER ([\d.]+) SYS ([\d.]+)$", re.M)


def cli_mode(sizes: list[int], repeat: int, data_dir: Path | None) -> int:
    from follower_pages import make_page

    own = data_dir is None
    data_dir = data_dir or Path(tempfile.mkdtemp(prefix="icp-bench-cli-", dir="/tmp"))
    work = Path(tempfile.mkdtemp(prefix="icp-bench-pages-", dir="/tmp"))
    env = dict(os.environ, ICP_DATA_DIR=str(data_dir), MAX_UPLOAD_BYTES=str(1 << 30))
    icp_path = work / "icp.json"
    icp_path.write_text(json.dumps(ICP_FINANCE))
    print(f"python -m icp_engine run, offline defaults, ICP_DATA_DIR={data_dir}; wall s / peak RSS MB (load before)")
    try:
        for n in sizes:
            page = work / f"followers-{n}.html"
            page.write_bytes(make_page(n, seed=n))
            walls, rsss = [], []
            for k in range(repeat):
                load = _load()
                cmd = ["/usr/bin/time", "-f", "WALL %e RSS %M USER %U SYS %S", sys.executable, "-m", "icp_engine", "run",
                       "--client", f"cli-{n}-{k}-{time.time_ns()}", "--icp", str(icp_path), "--input", str(page),
                       "--out", str(work / f"out-{n}.csv")]
                out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
                m = _TIME_RE.search(out.stderr)
                if out.returncode or m is None:
                    print(f"{n:>9,}: failed (exit {out.returncode})\n{out.stderr[-3000:]}")
                    break
                wall, rss = float(m.group(1)), int(m.group(2)) / 1024
                walls.append(wall)
                rsss.append(rss)
                print(f"{n:>9,} run {k + 1}: {wall:7.2f} s {rss:7.0f} MB  user {m.group(3)} s sys {m.group(4)} s"
                      f"  (load {load})", flush=True)
            if len(walls) > 1:
                print(f"{n:>9,} median: {statistics.median(walls):7.2f} s {statistics.median(rsss):7.0f} MB")
            page.unlink()
    finally:
        if own:
            from icp_engine.db import stop_embedded_postgres

            stop_embedded_postgres(data_dir)
            shutil.rmtree(data_dir, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
    return 0


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sizes", type=int, nargs="*")
    ap.add_argument("--cli", action="store_true", help="time `python -m icp_engine run` under /usr/bin/time")
    ap.add_argument("--repeat", type=int, default=1, help="CLI runs per size (median printed)")
    ap.add_argument("--warm", action="store_true", help="stages: a second, warm run per size in the same process")
    ap.add_argument("--data-dir", type=Path, default=None)
    ap.add_argument("--distinct-titles", action="store_true",
                    help="accepted for older command lines: the pages always have varied titles")
    ap.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    sizes = args.sizes or [1_000, 10_000, 50_000, 100_000]
    if args.one is not None:
        for r in one_size(args.one, 2 if args.warm else 1, args.data_dir):
            print("ROW: " + json.dumps(r), flush=True)
        return 0
    if args.cli:
        return cli_mode(sizes, args.repeat, args.data_dir)
    return stages_mode(sizes, args.warm)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
