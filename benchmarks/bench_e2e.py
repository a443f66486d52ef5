"""End-to-end timing of the main job on this machine: saved page in, ranked CSV out.

For N followers (default 1,000 and 10,000) on a generated G2 followers page: parse, store
(one transaction), run qualification with the offline defaults (page enrichment, classification,
WordLlama embeddings cached in Postgres, scoring), and export. Uses a fresh embedded Postgres in
a temporary folder (or ``DATABASE_URL``). Prints seconds per step.

    python benchmarks/bench_e2e.py [N ...] [--distinct-titles]

The default page repeats 12 headline titles (so the scorer's title backbone embeds 12 texts);
``--distinct-titles`` draws each headline title from ~5,000 combinations of a seniority word, a
role and a scope (``bench_scoring_speed.py``'s lists: ~3,700 distinct titles for 10k followers,
like a real page), so the backbone's cold cost is part of the run.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_parse import make_followers_page  # noqa: E402

from icp_engine.config import Settings  # noqa: E402
from icp_engine.domain import ICP  # noqa: E402
from icp_engine.engine import Engine  # noqa: E402
from icp_engine.pipeline import RunOptions  # noqa: E402
from icp_engine.db import stop_embedded_postgres  # noqa: E402

ICP_FINANCE = ICP(
    target_titles=["CFO", "VP Finance", "Head of Finance"],
    target_industries=["Software Development", "Financial Services"],
    company_sizes=["51-200", "201-500"],
)


def distinct_titles(seed: int = 11) -> list[str]:
    """Headline titles: every (seniority word, role, scope) combination of bench_scoring_speed."""
    from bench_scoring_speed import ROLES, SCOPES, SENIOR

    return [f"{s}{r}{c}".strip() for s in SENIOR for r in ROLES for c in dict.fromkeys(SCOPES)]


def main(argv: list[str]) -> int:
    if "--distinct-titles" in argv:
        import bench_parse

        argv = [a for a in argv if a != "--distinct-titles"]
        bench_parse.TITLES = distinct_titles()
    sizes = [int(a) for a in argv] or [1000, 10000]
    data_dir = Path(tempfile.mkdtemp(prefix="icp-bench-", dir="/tmp"))
    try:
        t = time.perf_counter()
        eng = Engine(Settings(icp_data_dir=data_dir, database_url=os.environ.get("DATABASE_URL")))
        print(f"database start + migrations: {time.perf_counter() - t:.2f} s")
        print(f"{'followers':>9} {'parse':>7} {'store':>7} {'enrich':>7} {'classify':>8} {'embed':>7} {'score':>7} {'export':>7} {'total':>7}")
        for n in sizes:
            page = make_followers_page(n, seed=n)
            client = eng.create_client(f"bench-{n}")
            eng.save_icp(client["id"], ICP_FINANCE)
            t0 = time.perf_counter()
            parsed = eng.parse_upload("followers.html", page)
            t1 = time.perf_counter()
            batch = eng.ingest_followers(client["id"], parsed.people, batch_name="bench", source_kind=parsed.kind)
            t2 = time.perf_counter()
            run_id = eng.create_run(client["id"], batch_id=batch["id"], options=RunOptions())
            marks: dict[str, float] = {}

            def on_progress(p, marks=marks):
                marks.setdefault(p["stage"], time.perf_counter())

            eng.execute_run(run_id, on_progress=on_progress)
            t3 = time.perf_counter()
            csv_bytes = eng.export_csv(client["id"], batch_id=batch["id"])
            t4 = time.perf_counter()
            st = {k: marks.get(k, t3) for k in ("enrich", "classify", "embed", "score", "done")}
            print(
                f"{n:>9} {t1 - t0:>7.2f} {t2 - t1:>7.2f} {st['classify'] - st['enrich']:>7.2f} "
                f"{st['embed'] - st['classify']:>8.2f} {st['score'] - st['embed']:>7.2f} {st['done'] - st['score']:>7.2f} "
                f"{t4 - t3:>7.2f} {t4 - t0:>7.2f}   ({len(parsed.people)} leads, {len(csv_bytes) / 1e6:.1f} MB CSV)"
            )
        eng.db.dispose()
    finally:
        if not os.environ.get("DATABASE_URL"):
            stop_embedded_postgres(data_dir)
        shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
