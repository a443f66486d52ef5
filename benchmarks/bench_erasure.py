"""Erasure timings: ``forget`` one person and ``clients delete`` on a database of realistic size.

Builds two clients sharing some people (``--leads`` each, scored rows and whole-profile vectors
written directly), a profile cache row per person and ``--texts`` rows in the embedding cache,
then times :meth:`Engine.forget_person` (which scans the embedding cache once) and
:meth:`Engine.delete_client`. Also times argon2id hashing and a sign-in. Prints numbers only.

    python benchmarks/bench_erasure.py                       # 20,000 leads per client, 100,000 texts
    python benchmarks/bench_erasure.py --leads 5000 --texts 20000
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from icp_engine.config import Settings  # noqa: E402
from icp_engine.db import schema, stop_embedded_postgres  # noqa: E402
from icp_engine.domain import ICP, Follower  # noqa: E402
from icp_engine.engine import Engine  # noqa: E402


def _people(n: int, prefix: str, shared: int) -> list[Follower]:
    out = []
    for i in range(n):
        key = f"shared-{i}" if i < shared else f"{prefix}-{i}"
        out.append(Follower(key=key, url=f"https://www.linkedin.com/in/{key}/",
                            profile_url=f"https://www.linkedin.com/in/{key}", vanity=key,
                            name=f"{key.replace('-', ' ').title()} Person", headline=f"Head of Finance at Company {i % 97}"))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--leads", type=int, default=20_000)
    ap.add_argument("--texts", type=int, default=100_000)
    args = ap.parse_args()
    data = Path(tempfile.mkdtemp(prefix="icp-bench-erasure-", dir="/tmp"))
    try:
        eng = Engine(Settings(icp_data_dir=data))
        db = eng.db
        ids = {}
        for name in ("North", "South"):
            c = eng.create_client(name)
            ver = eng.save_icp(c["id"], ICP(target_titles=["CFO"]))
            b = eng.ingest_followers(c["id"], _people(args.leads, name.lower(), args.leads // 10), batch_name="b")
            lead_ids = b["new_lead_ids"]
            with db.begin() as conn:
                conn.execute(schema.lead_scores.insert(), [
                    {"lead_id": lid, "icp_version_id": ver["id"], "icp_score": 50.0, "bucket": "possible",
                     "match_reasoning": "x", "components": {}, "scorer_version": "bench"} for lid in lead_ids])
                vec = np.zeros(64, dtype=np.float32).tolist()
                conn.execute(schema.lead_embeddings.insert(), [
                    {"lead_id": lid, "model": "bench", "embedding": vec} for lid in lead_ids])
            ids[name] = c["id"]
        with db.begin() as conn:
            keys = [r[0] for r in conn.execute(sa.select(schema.leads.c.profile_key).distinct())]
            for i in range(0, len(keys), 5000):
                conn.execute(schema.profile_cache.insert(), [
                    {"profile_key": k, "vanity": k, "source": "apify", "item": {"publicIdentifier": k}}
                    for k in keys[i:i + 5000]])
            for i in range(0, args.texts, 5000):
                conn.execute(schema.text_embeddings.insert(), [
                    {"model": "bench", "text_sha1": f"{j:040d}", "text": f"head of finance at company {j} person {j}",
                     "dim": 2, "embedding": [0.1, 0.2]} for j in range(i, min(args.texts, i + 5000))])
        print(f"database: 2 clients x {args.leads:,} leads ({args.leads // 10:,} shared), "
              f"{len(keys):,} cached profiles, {args.texts:,} cached texts")

        t0 = time.perf_counter()
        report = eng.forget_person("https://www.linkedin.com/in/shared-7/")
        print(f"forget one person (2 leads, both clients): {time.perf_counter() - t0:.2f} s  ({'; '.join(report.lines())})")
        t0 = time.perf_counter()
        result = eng.delete_client(ids["North"])
        print(f"clients delete ({args.leads:,} leads): {time.perf_counter() - t0:.2f} s  ({'; '.join(result.lines())})")

        from icp_engine.auth import hash_password, verify_password

        t0 = time.perf_counter()
        h = hash_password("bench password 123")
        t1 = time.perf_counter()
        verify_password(h, "bench password 123")
        t2 = time.perf_counter()
        print(f"argon2id: hash {1000 * (t1 - t0):.0f} ms, verify {1000 * (t2 - t1):.0f} ms")
        db.dispose()
    finally:
        stop_embedded_postgres(data)
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
