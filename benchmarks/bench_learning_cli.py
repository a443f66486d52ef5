"""Learning from reviews through the real CLI (issue 10, done-when): run, import labels, run again.

Usage::

    python benchmarks/bench_learning_cli.py [--bench DIR] [--pages report|tune|all] [--seeds 2] [--first-seed 0]
        [--labels 50,100,200,400] [--coin 200] [--inverted 0] [--composition topical|broad|uniform]
        [--n 5000] [--group 2] [--max-pages N] [--only NAME,...] [--json OUT.json] [--keep-data]

For each page (``benchmarks/learning_pages.py``: a saved followers page of ``--n`` followers with
REAL titles of ``../shared/bench``; keep = the ICP's people by the qrels, trash = everyone else;
``topical`` pages hold 10-30 % ICP people and 25 % related occupations) and each seed, in a
throw-away embedded Postgres:

1. ``python -m icp_engine run --client C --icp ICP.json --input page.html --out before.csv``;
2. for each label count of ``--labels`` (nested: 50, then 50 more, ...): ``feedback import
   --client C labels.csv`` with that many random truthful labels in all (``profile_url,label``),
   then the same ``run`` again; the CSV it writes is compared with ``before.csv`` by AUC on the
   followers that were not labelled (the "other 4,800" at 200 labels);
3. on a second client: ``--coin`` coin-flip labels (and ``--inverted`` labels that contradict the
   truth), imported, the same ``run`` again, the AUC change on the others.

Followers without a headline are not judged (no label, not in the AUC). Refit time is the learn
stage's wall time read from ``runs.actual["learning"]`` (cross-validation, gate, learning curve and
re-scoring the page included). Prints per page and seed, then the lift curve (labels -> AUC, mean
+- sd), the share of runs where the model was applied, the coin-flip change and how many runs meet
the done-when (AUC >= 0.95 and >= +0.04 at 200 truthful labels; coin flips move AUC by no more
than -0.02). The learner's settings are never tuned here: they were chosen with
``bench_learning.py --composition topical --pages tune``. Exits 0 with a message when the
benchmark folder is absent.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def _vanity(url: str) -> str:
    return url.rstrip("/").split("/in/")[-1].split("?")[0].split("/")[0].lower()


class CLI:
    """Runs ``python -m icp_engine`` with a private ICP_DATA_DIR and no API keys."""

    def __init__(self, data_dir: Path):
        self.env = {k: v for k, v in os.environ.items()
                    if k not in ("OPENAI_API_KEY", "APIFY_API_TOKEN", "JINA_API_KEY", "COHERE_API_KEY",
                                 "FATHOM_API_KEY", "DATABASE_URL")}
        self.env["ICP_DATA_DIR"] = str(data_dir)
        self.env["PYTHONWARNINGS"] = "ignore"

    def __call__(self, *args: str) -> tuple[float, str]:
        t = time.perf_counter()
        res = subprocess.run([sys.executable, "-m", "icp_engine", *args], cwd=ROOT, env=self.env,
                             capture_output=True, text=True)
        if res.returncode != 0:
            raise RuntimeError(f"{' '.join(args[:3])} failed ({res.returncode}):\n{res.stderr[-3000:]}")
        return time.perf_counter() - t, res.stderr


def read_scores(path: Path) -> dict[str, float]:
    """``{vanity: icp_score}`` of a ranked CSV written by ``run``."""
    rows = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig")))
    return {_vanity(r["profile_url"]): float(r["icp_score"]) for r in rows if r.get("profile_url")}


def rest_auc(scores: dict[str, float], truth: dict[str, int | None], labelled: set[str]) -> float:
    from icp_engine.evals import auc

    s, y = [], []
    for v, t in truth.items():
        if t is None or v in labelled or v not in scores:
            continue
        s.append(scores[v])
        y.append(bool(t))
    return float(auc(np.asarray(s), np.asarray(y)))


def write_labels(path: Path, people: list[dict[str, Any]], labels: list[int]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["profile_url", "label"])
        for p, lab in zip(people, labels):
            w.writerow([f"https://www.linkedin.com/in/{p['vanity']}/", "keep" if lab else "trash"])


def learning_of(db: Any, client: str) -> dict[str, Any]:
    """``runs.actual["learning"]`` of the client's newest run (read straight from Postgres)."""
    import sqlalchemy as sa

    with db.connect() as conn:
        row = conn.execute(sa.text(
            "SELECT r.actual -> 'learning' FROM runs r JOIN clients c ON c.id = r.client_id "
            "WHERE c.name = :n ORDER BY r.id DESC LIMIT 1"), {"n": client}).scalar()
    return row or {}


def run_page(cli: CLI, db: Any, page: Any, work: Path, seed: int, label_counts: list[int], coin: int,
             inverted: int) -> dict[str, Any]:
    """All cases of one page and seed; returns ``{"truth": [...], "coin": {...}, "inverted": {...}}``."""
    html = work / f"{page.spec.name}.html"
    icp = work / f"{page.spec.name}.icp.json"
    html.write_bytes(page.html)
    icp.write_text(json.dumps(page.icp), encoding="utf-8")
    truth = page.truth_by_vanity
    judged = [p for p in page.people if p["label"] is not None]
    rng = random.Random(f"labels-{page.spec.name}-{seed}")
    order = judged[:]
    rng.shuffle(order)
    out: dict[str, Any] = {"truth": []}

    def one_shot(client: str, csv_name: str) -> tuple[float, dict[str, float]]:
        dest = work / csv_name
        secs, _ = cli("run", "--client", client, "--icp", str(icp), "--input", str(html), "--out", str(dest))
        return secs, read_scores(dest)

    client = f"{page.spec.name}-s{seed}-truth"
    t_first, before = one_shot(client, f"{client}-before.csv")
    done = 0
    for n in sorted(label_counts):
        new = order[done:n]
        lab_file = work / f"{client}-{n}.csv"
        write_labels(lab_file, new, [p["label"] for p in new])
        cli("feedback", "import", "--client", client, str(lab_file))
        done = n
        secs, after = one_shot(client, f"{client}-after{n}.csv")
        labelled = {p["vanity"] for p in order[:n]}
        learn = learning_of(db, client)
        out["truth"].append({
            "labels": n, "keeps": sum(p["label"] for p in order[:n]),
            "static": rest_auc(before, truth, labelled), "after": rest_auc(after, truth, labelled),
            "applied": bool(learn.get("applied")), "verdict": learn.get("verdict"),
            "cv_static": learn.get("static_auc"), "cv_learned": learn.get("learned_auc"),
            "suggest": learn.get("suggested_extra_labels"), "fit_s": learn.get("seconds"),
            "stage_s": learn.get("stage_seconds"), "run_s": secs,
        })
    out["first_run_s"] = t_first
    for kind, n in (("coin", coin), ("inverted", inverted)):
        if not n:
            continue
        c2 = f"{page.spec.name}-s{seed}-{kind}"
        _, before2 = one_shot(c2, f"{c2}-before.csv")
        picks = order[:n]
        if kind == "coin":
            crng = random.Random(f"coin-{page.spec.name}-{seed}")
            labs = [int(crng.random() < 0.5) for _ in picks]
        else:
            labs = [1 - p["label"] for p in picks]
        lab_file = work / f"{c2}.csv"
        write_labels(lab_file, picks, labs)
        cli("feedback", "import", "--client", c2, str(lab_file))
        _, after2 = one_shot(c2, f"{c2}-after.csv")
        labelled = {p["vanity"] for p in picks}
        learn = learning_of(db, c2)
        out[kind] = {"labels": n, "static": rest_auc(before2, truth, labelled),
                     "after": rest_auc(after2, truth, labelled), "applied": bool(learn.get("applied")),
                     "verdict": learn.get("verdict")}
    return out


def ungated_auc(engine: Any, client: str, held: set[str], truth: dict[str, int | None]) -> float:
    """AUC on the held-out followers of the model fitted on *all* the client's labels, gate or not
    (its latent mean: what the labels taught, applied or not)."""
    import sqlalchemy as sa

    from icp_engine.db import clients as clients_sql
    from icp_engine.db import learning as learning_sql
    from icp_engine.evals import auc
    from icp_engine.feedback import _model_name, features_from_rows, training_set
    from icp_engine.learning import LearnedModel

    cid = int(engine.get_client(client)["id"])
    with engine.db.connect() as conn:
        ver = clients_sql.current_version_id(conn, cid)
        vmap = {str(v).lower(): int(i) for i, v in conn.execute(
            sa.text("SELECT id, vanity FROM leads WHERE client_id = :c"), {"c": cid})}
        ids = sorted(vmap[v] for v in held if v in vmap)
        rows = learning_sql.feature_rows(conn, ver, ids, _model_name(engine.wiring.embedder))
    labels, feats, _ = training_set(engine.db, cid, ver, None, engine.wiring.embedder)
    model = LearnedModel(engine.feedback.config)
    model.fit(labels, feats, current_icp_version=ver, validate=False)
    hf = features_from_rows(rows, engine.wiring.embedder)
    mu, _ = model.latent(hf)
    inv = {i: v for v, i in vmap.items()}
    y = np.array([bool(truth[inv[int(i)]]) for i in hf.lead_ids])
    return float(auc(mu, y))


def run_queue_compare(cli: CLI, engine: Any, page: Any, work: Path, seed: int, counts: list[int], base: int,
                      chunk: int, holdout: float) -> dict[str, Any]:
    """Random vs "most informative next" labels on one page and seed, AUC on a fixed random held-out set.

    A seeded ``holdout`` share of the judged followers is never labelled by either arm; both arms are
    measured on it (never on the queue's own picks). Arm ``random``: the first ``n`` of a seeded
    random order, ``feedback import`` (queue ``import``), then ``run``. Arm ``informative``: the
    first ``base`` of the same random order imported, then labels taken ``chunk`` at a time from
    :meth:`FeedbackService.informative_queue` (as the Review page serves it; held-out followers
    skipped) and stored with queue ``informative`` through :meth:`Engine.record_feedback`, truthful,
    until ``n`` labels in all, then the same ``run``. Returns per-count rows for both arms.
    """
    html = work / f"{page.spec.name}.html"
    icp = work / f"{page.spec.name}.icp.json"
    html.write_bytes(page.html)
    icp.write_text(json.dumps(page.icp), encoding="utf-8")
    truth = page.truth_by_vanity
    judged = [p for p in page.people if p["label"] is not None]
    rng = random.Random(f"queue-{page.spec.name}-{seed}")
    order = judged[:]
    rng.shuffle(order)
    n_hold = int(round(holdout * len(order)))
    held = {p["vanity"] for p in order[:n_hold]}
    order = order[n_hold:]
    by_vanity = {p["vanity"]: p for p in judged}

    def held_auc(scores: dict[str, float]) -> float:
        return rest_auc(scores, {v: t for v, t in truth.items() if v in held}, set())

    def one_shot(client: str, csv_name: str) -> dict[str, float]:
        dest = work / csv_name
        cli("run", "--client", client, "--icp", str(icp), "--input", str(html), "--out", str(dest))
        return read_scores(dest)

    out: dict[str, Any] = {"random": [], "informative": [], "held_out": len(held)}
    c_r = f"{page.spec.name}-s{seed}-qrandom"
    before = one_shot(c_r, f"{c_r}-before.csv")
    done = 0
    for n in sorted(counts):
        lab_file = work / f"{c_r}-{n}.csv"
        write_labels(lab_file, order[done:n], [p["label"] for p in order[done:n]])
        cli("feedback", "import", "--client", c_r, str(lab_file))
        done = n
        after = one_shot(c_r, f"{c_r}-after{n}.csv")
        learn = learning_of(engine.db, c_r)
        out["random"].append({"labels": n, "keeps": sum(p["label"] for p in order[:n]), "static": held_auc(before),
                              "after": held_auc(after), "applied": bool(learn.get("applied")),
                              "verdict": learn.get("verdict"), "n_validation": learn.get("n_validation"),
                              "cv_lift": learn.get("lift"), "ungated": ungated_auc(engine, c_r, held, truth)})
    c_i = f"{page.spec.name}-s{seed}-qinformative"
    before_i = one_shot(c_i, f"{c_i}-before.csv")
    lab_file = work / f"{c_i}-base.csv"
    write_labels(lab_file, order[:base], [p["label"] for p in order[:base]])
    cli("feedback", "import", "--client", c_i, str(lab_file))
    cid = int(engine.get_client(c_i)["id"])
    labelled = {p["vanity"] for p in order[:base]}
    picked_keeps = 0
    t_queue = 0.0
    import sqlalchemy as sa

    with engine.db.connect() as conn:
        vmap = {str(v).lower(): int(i) for i, v in conn.execute(
            sa.text("SELECT id, vanity FROM leads WHERE client_id = :c"), {"c": cid})}
    n_unb, n_inf = base, 0
    rand_next = base  # the next lead of the random order for a random pick

    def label(lid: int, v: str, src: str) -> None:
        nonlocal picked_keeps
        p = by_vanity[v]
        engine.record_feedback(lid, "keep" if p["label"] else "trash", "bench", src)
        labelled.add(v)
        picked_keeps += int(p["label"])

    for n in sorted(counts):
        while len(labelled) < n:
            t = time.perf_counter()
            rows = engine.feedback.informative_queue(cid, "bench", limit=chunk + 2 * int(chunk * holdout + 1) + 5)
            t_queue += time.perf_counter() - t
            inf = [r for r in rows if str(r.get("review_queue") or "informative") == "informative"
                   and _vanity(r["profile_url"]) not in held and _vanity(r["profile_url"]) not in labelled]
            taken = 0
            # the Review page serves one lead per label: a random-order pick whenever the client's
            # unbiased labels are < 30 or no more than its informative ones, else the queue's next
            # (the model is refitted between batches of ``chunk``, not within one)
            while len(labelled) < n and taken < chunk:
                if n_unb < 30 or n_unb <= n_inf:
                    while rand_next < len(order) and order[rand_next]["vanity"] in labelled:
                        rand_next += 1
                    if rand_next >= len(order):
                        break
                    v = order[rand_next]["vanity"]
                    label(vmap[v], v, "random")
                    n_unb += 1
                elif inf:
                    r = inf.pop(0)
                    label(int(r["id"]), _vanity(r["profile_url"]), "informative")
                    n_inf += 1
                else:
                    break
                taken += 1
            if not taken:
                break
        after = one_shot(c_i, f"{c_i}-after{n}.csv")
        learn = learning_of(engine.db, c_i)
        out["informative"].append({"labels": n, "keeps": sum(p["label"] for p in order[:base]) + picked_keeps,
                                   "static": held_auc(before_i), "after": held_auc(after),
                                   "applied": bool(learn.get("applied")), "verdict": learn.get("verdict"),
                                   "n_validation": learn.get("n_validation"),
                                   "n_informative": learn.get("n_informative"), "cv_lift": learn.get("lift"),
                                   "ungated": ungated_auc(engine, c_i, held, truth),
                                   "queue_s": round(t_queue, 1)})
    return out


def fmt(vals: list[float]) -> str:
    v = np.array([x for x in vals if x is not None and np.isfinite(x)], dtype=float)
    return "      -      " if v.size == 0 else f"{v.mean():.3f} ± {v.std():.3f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bench", default=str(ROOT.parent / "shared" / "bench"))
    ap.add_argument("--pages", default="report", choices=["report", "tune", "all"])
    ap.add_argument("--composition", default="topical", choices=["topical", "broad", "uniform"])
    ap.add_argument("--group", type=int, default=2, help="queries per page ICP (3 for the part-1 pages)")
    ap.add_argument("--n", type=int, default=5000, help="followers per page")
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--first-seed", type=int, default=0, help="seeds run are first-seed .. first-seed+seeds-1")
    ap.add_argument("--labels", default="50,100,200,400")
    ap.add_argument("--coin", type=int, default=200)
    ap.add_argument("--inverted", type=int, default=0)
    ap.add_argument("--max-pages", type=int, default=0)
    ap.add_argument("--only", default="", help="comma-separated page names")
    ap.add_argument("--json", default="", help="write every result to this file")
    ap.add_argument("--keep-data", action="store_true", help="keep the temporary folder (database, files)")
    ap.add_argument("--queue-compare", action="store_true",
                    help="random vs 'most informative next' labels at each --labels count, AUC on a random held-out set")
    ap.add_argument("--informative-base", type=int, default=50,
                    help="random labels imported before the informative queue takes over (the gate's evidence)")
    ap.add_argument("--chunk", type=int, default=10, help="informative labels taken per queue refresh")
    ap.add_argument("--holdout", type=float, default=0.2, help="share of followers held out of both arms")
    args = ap.parse_args(argv)

    bench_dir = Path(args.bench)
    if not (bench_dir / "queries.jsonl").is_file():
        print(f"benchmark folder {bench_dir} not found: skipping (it only exists in the dev workspace)")
        return 0
    import learning_pages as lp

    from icp_engine.config import Settings
    from icp_engine.db import Database
    from icp_engine.evals import Benchmark

    bench = Benchmark.load(bench_dir)
    specs = lp.page_specs(bench, group=args.group, which=args.pages, n=args.n, composition=args.composition)
    if args.only:
        specs = [s for s in specs if s.name in args.only.split(",")]
    if args.max_pages:
        specs = specs[: args.max_pages]
    label_counts = [int(x) for x in args.labels.split(",") if x]
    tmp = Path(tempfile.mkdtemp(prefix="icp-bench-learn-", dir="/tmp"))
    data_dir, work = tmp / "data", tmp / "files"
    work.mkdir(parents=True)
    settings = Settings(icp_data_dir=data_dir, database_url=None, openai_api_key=None, apify_api_token=None,
                        jina_api_key=None, cohere_api_key=None, fathom_api_key=None, embedded_idle_stop_s=0)
    db = Database(settings)  # starts the embedded server and keeps a connection: the CLI leaves it running
    cli = CLI(data_dir)
    print(f"# Learning from reviews through the CLI: {len(specs)} {args.pages} pages ({args.composition}, "
          f"{args.n} followers) x {args.seeds} seeds; labels {label_counts}, coin {args.coin}, "
          f"inverted {args.inverted}; data in {tmp}")
    results: list[dict[str, Any]] = []
    t_all = time.perf_counter()
    if args.queue_compare:
        return _queue_main(args, bench, specs, label_counts, settings, db, cli, tmp, t_all)
    try:
        for spec in specs:
            page = lp.build(bench, spec)
            st = page.stats()
            print(f"\n## {spec.name} ({spec.role}) keep {st['groups'].get('keep', 0)} / related "
                  f"{st['groups'].get('related', 0)} / other {st['groups'].get('other', 0)} / noise "
                  f"{st['groups'].get('noise', 0)}; {st['distinct_titles']} distinct titles (max {st['max_repeat']} "
                  f"followers share one)", flush=True)
            for seed in range(args.first_seed, args.first_seed + args.seeds):
                r = run_page(cli, db, page, work, seed, label_counts, args.coin, args.inverted)
                r.update(page=spec.name, seed=seed, keep_share=spec.keep_share)
                results.append(r)
                line = "  ".join(f"{t['labels']}: {t['static']:.3f}->{t['after']:.3f}{'*' if t['applied'] else ''}"
                                 for t in r["truth"])
                extra = "".join(f"  {k} {r[k]['static']:.3f}->{r[k]['after']:.3f}{'*' if r[k]['applied'] else ''}"
                                for k in ("coin", "inverted") if k in r)
                print(f"  seed {seed}: {line}{extra}  (first run {r['first_run_s']:.0f} s; * = applied)", flush=True)
    finally:
        db.dispose()
        subprocess.run([sys.executable, "-m", "icp_engine", "db-stop"], cwd=ROOT, env=cli.env, capture_output=True)
        if not args.keep_data:
            shutil.rmtree(tmp, ignore_errors=True)

    print(f"\n# Lift curve ({len(results)} page x seed runs): AUC on the followers not labelled")
    print(f"{'labels':>7} {'static':>15} {'after run':>15} {'gain':>15} {'applied':>8} {'refit s':>8} {'run s':>6}"
          f"  {'>=0.95 & +0.04':>15}")
    for n in sorted(label_counts):
        rows = [t for r in results for t in r["truth"] if t["labels"] == n]
        ok = sum(1 for t in rows if t["after"] >= 0.95 and t["after"] - t["static"] >= 0.04)
        print(f"{n:>7} {fmt([t['static'] for t in rows]):>15} {fmt([t['after'] for t in rows]):>15} "
              f"{fmt([t['after'] - t['static'] for t in rows]):>15} {100 * np.mean([t['applied'] for t in rows]):>7.0f}% "
              f"{np.mean([t['stage_s'] or 0 for t in rows]):>8.1f} {np.mean([t['run_s'] for t in rows]):>6.1f}"
              f"  {ok:>3}/{len(rows)}")
        verdicts: dict[str, int] = defaultdict(int)
        for t in rows:
            verdicts[str(t["verdict"])] += 1
        print(" " * 9 + "verdicts: " + ", ".join(f"{k} {v}" for k, v in sorted(verdicts.items())))
    for kind in ("coin", "inverted"):
        rows = [r[kind] for r in results if kind in r]
        if rows:
            ch = [t["after"] - t["static"] for t in rows]
            print(f"{kind} {rows[0]['labels']}: static {fmt([t['static'] for t in rows])} -> "
                  f"{fmt([t['after'] for t in rows])}; change min {min(ch):+.4f}, applied "
                  f"{sum(t['applied'] for t in rows)}/{len(rows)}; within -0.02: "
                  f"{sum(1 for c in ch if c >= -0.02)}/{len(rows)}")
    print(f"total wall time {time.perf_counter() - t_all:.0f} s")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, default=float), encoding="utf-8")
    return 0


def _queue_main(args: Any, bench: Any, specs: list[Any], counts: list[int], settings: Any, db: Any, cli: CLI,
                tmp: Path, t_all: float) -> int:
    import learning_pages as lp

    from icp_engine import Engine

    engine = Engine(settings, db)
    results: list[dict[str, Any]] = []
    try:
        for spec in specs:
            page = lp.build(bench, spec)
            for seed in range(args.first_seed, args.first_seed + args.seeds):
                r = run_queue_compare(cli, engine, page, tmp / "files", seed, counts, args.informative_base,
                                      args.chunk, args.holdout)
                r.update(page=spec.name, seed=seed)
                results.append(r)
                for arm in ("random", "informative"):
                    line = "  ".join(f"{t['labels']}: {t['static']:.3f}->{t['after']:.3f}{'*' if t['applied'] else ''}"
                                     f" (ungated {t['ungated']:.3f}; {t['keeps']} keep, {t['verdict']})"
                                     for t in r[arm])
                    print(f"  {spec.name} seed {seed} {arm:11s} {line}", flush=True)
    finally:
        db.dispose()
        subprocess.run([sys.executable, "-m", "icp_engine", "db-stop"], cwd=ROOT, env=cli.env, capture_output=True)
        if not args.keep_data:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"\n# Random vs most-informative-next labels ({len(results)} page x seed runs; informative = "
          f"{args.informative_base} random, then the queue {args.chunk} at a time): AUC on "
          f"{results[0]['held_out'] if results else 0} held-out random followers")
    print(f"{'labels':>7} {'arm':>12} {'static':>15} {'after run':>15} {'gain':>15} {'ungated':>15} {'applied':>8} "
          f"{'keeps':>6}")
    for n in sorted(counts):
        for arm in ("random", "informative"):
            rows = [t for r in results for t in r[arm] if t["labels"] == n]
            print(f"{n:>7} {arm:>12} {fmt([t['static'] for t in rows]):>15} {fmt([t['after'] for t in rows]):>15} "
                  f"{fmt([t['after'] - t['static'] for t in rows]):>15} {fmt([t['ungated'] for t in rows]):>15} "
                  f"{100 * np.mean([t['applied'] for t in rows]):>7.0f}% {np.mean([t['keeps'] for t in rows]):>6.1f}")
    print(f"total wall time {time.perf_counter() - t_all:.0f} s")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, default=float), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
