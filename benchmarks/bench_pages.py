"""Dashboard page speed with 100k leads in one batch (issue 5 item 6: every page <= 1.5 s).

Creates a throw-away database (an embedded Postgres in a temp folder, or ``--database-url``),
bulk-inserts one client with an ICP, one batch of N invented leads (default 100,000), enriched and
scored with a spread of scores, plus a few thousand review labels and a finished run. Then it
times, per page, the engine / :mod:`icp_engine.views` calls that page makes (the SQL behind it),
and, with ``--apptest``, the full server-side render of each page with Streamlit's AppTest
(script run + every query + building the elements; the browser's drawing is not included).

Prints one line per page: median of ``--repeat`` runs in milliseconds. Also times the CSV
export of the whole batch (the download click, not a page render).

Usage::

    python benchmarks/bench_pages.py                    # 100k leads, SQL per page
    python benchmarks/bench_pages.py --apptest          # + full page renders with AppTest
    python benchmarks/bench_pages.py --apptest --upload 50000 --csv   # + big upload, CSV export
    python benchmarks/bench_pages.py --leads 10000 --repeat 5
    python benchmarks/bench_pages.py --database-url postgresql://...   # an existing EMPTY database
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from icp_engine import LeadFilters  # noqa: E402
from icp_engine.config import Settings  # noqa: E402
from icp_engine.domain import ICP  # noqa: E402
from icp_engine.engine import Engine  # noqa: E402
from icp_engine.pipeline import RunOptions  # noqa: E402
from icp_engine.db import schema  # noqa: E402

ICP_JSON = {
    "name": "Finance leaders",
    "target_titles": ["CFO", "VP Finance", "Head of Finance"],
    "target_industries": ["Software Development", "Financial Services"],
    "company_sizes": ["51-200", "201-500"],
}

SEED_SQL = """
INSERT INTO leads (client_id, batch_id, profile_key, vanity, profile_url, input_url, name, headline,
                   location, status, titles, company, company_size, industry, enrichment_source,
                   enriched_at, company_type)
SELECT :client, :batch, 'bench-' || g, 'bench-' || g,
       'https://www.linkedin.com/in/bench-' || g, 'https://www.linkedin.com/in/bench-' || g || '/',
       'Person ' || g,
       (ARRAY['CFO','VP Finance','Controller','Head of Finance','Founder & CEO','FP&A Manager',
              'Student','Recruiter','Senior Accountant','Operations Manager'])[1 + g % 10]
         || ' at Company ' || (g % 997),
       (ARRAY['Oslo, Norway','Porto, Portugal','Austin, Texas, United States','Kraków, Poland'])[1 + g % 4],
       CASE WHEN g % 50 = 0 THEN 'failed' ELSE 'qualified' END,
       ARRAY[(ARRAY['CFO','VP Finance','Controller','Head of Finance','Founder & CEO','FP&A Manager',
                    'Student','Recruiter','Senior Accountant','Operations Manager'])[1 + g % 10]],
       'Company ' || (g % 997),
       (ARRAY['11-50','51-200','201-500','1001-5000'])[1 + g % 4],
       (ARRAY['Software Development','Financial Services','Retail','Higher Education'])[1 + g % 4],
       'page', now(), 'unknown'
FROM generate_series(1, :n) AS g
"""


def seed(engine: Engine, n: int) -> dict[str, Any]:
    """One client, ICP, batch of ``n`` scored leads, labels and a completed run (bulk SQL)."""
    t = schema
    client = engine.create_client("Bench client")
    ver = engine.save_icp(client["id"], ICP.model_validate(ICP_JSON), author="bench")
    with engine.db.begin() as conn:
        batch_id = conn.execute(
            t.batches.insert().values(client_id=client["id"], name="bench batch", source_kind="followers_page",
                                      people_in_file=n, new_leads=n, known_leads=0).returning(t.batches.c.id)
        ).scalar_one()
        conn.execute(sa.text(SEED_SQL), {"client": client["id"], "batch": batch_id, "n": n})
        conn.execute(sa.text(
            "INSERT INTO batch_members (batch_id, lead_id, position, is_new) "
            "SELECT :b, id, row_number() OVER (ORDER BY id), true FROM leads WHERE batch_id = :b"), {"b": batch_id})
        conn.execute(sa.text(
            "INSERT INTO lead_scores (lead_id, icp_version_id, icp_score, bucket, match_reasoning, components, scorer_version) "
            "SELECT id, :v, s, CASE WHEN s >= 80 THEN 'strong' WHEN s >= 60 THEN 'good' WHEN s >= 40 THEN 'possible' ELSE 'poor' END, "
            "'title: evidence · industry: evidence · size: evidence', '{\"title\": 0.5}'::jsonb, 'bench' "
            "FROM (SELECT id, (abs(hashtext(id::text)) % 10000) / 100.0 AS s FROM leads "
            "      WHERE batch_id = :b AND status <> 'failed') x"), {"v": ver["id"], "b": batch_id})
        conn.execute(sa.text(
            "INSERT INTO lead_feedback (lead_id, client_id, label, reviewer, icp_version_id) "
            "SELECT id, client_id, CASE WHEN id % 3 = 0 THEN 'trash' ELSE 'keep' END, 'Dana', :v "
            "FROM leads WHERE batch_id = :b AND id % 40 = 0"), {"v": ver["id"], "b": batch_id})
        run_id = conn.execute(
            t.runs.insert().values(client_id=client["id"], batch_id=batch_id, icp_version_id=ver["id"],
                                   status="completed", stage="done", options=RunOptions().to_dict(),
                                   started_at=sa.func.now() - sa.text("interval '5 minutes'"),
                                   finished_at=sa.func.now()).returning(t.runs.c.id)
        ).scalar_one()
    with engine.db.connect() as conn:
        conn.execute(sa.text("ANALYZE"))
        conn.commit()
    return {"client_id": client["id"], "batch_id": batch_id, "run_id": run_id, "version_id": ver["id"]}


def page_calls(engine: Engine, ids: dict[str, Any]) -> dict[str, Callable[[], Any]]:
    """The read calls each page makes (the same functions, in the same way as the pages)."""
    cid, bid, rid = ids["client_id"], ids["batch_id"], ids["run_id"]
    urls = "\n".join(f"https://www.linkedin.com/in/bench-{i}/" for i in range(1, 2001)).encode()

    def sidebar() -> None:
        engine.list_clients()

    def clients() -> None:
        sidebar()
        engine.current_icp(cid)
        engine.icp_history(cid)
        engine.views.sample_leads(cid, 5)

    def upload() -> None:
        sidebar()
        engine.views.batch_options(cid, limit=50)
        engine.preview_upload(cid, "urls.txt", urls)  # 2,000 pasted URLs checked against 100k leads

    def run() -> None:
        sidebar()
        engine.icp_history(cid)
        engine.views.batch_options(cid)
        engine.estimate_run(cid, bid, RunOptions())
        engine.views.unscored_count(cid, bid, ids["version_id"])
        engine.list_runs(cid, limit=20)
        engine.run_status(rid)
        engine.views.failed_count(cid, bid)

    def review() -> None:
        sidebar()
        engine.views.batch_options(cid)
        engine.review_progress(cid, "Dana", bid)
        engine.review_queue(cid, "Dana", batch_id=bid, limit=20)
        engine.views.recent_labels(cid, "Dana", limit=8)

    def export(f: LeadFilters) -> Callable[[], None]:
        def _export() -> None:
            sidebar()
            engine.current_icp(cid)
            engine.views.batch_options(cid)
            engine.bucket_counts(cid, batch_id=f.batch_id)
            engine.score_histogram(cid, batch_id=f.batch_id, bin_width=5)
            engine.views.buckets_by_batch(cid)
            engine.views.export_summary(cid, f)
            engine.views.lead_page(cid, f, page=0, page_size=50)

        return _export

    return {
        "Clients & ICP (SQL)": clients,
        "Upload (SQL + preview of 2,000 pasted URLs)": upload,
        "Run (SQL, incl. live progress query)": run,
        "Run: one progress refresh (fragment)": lambda: engine.run_status(rid),
        "Review (SQL)": review,
        "Export, all leads of the client": export(LeadFilters()),
        "Export, batch + min score 60": export(LeadFilters(batch_id=bid, min_score=60)),
        "Export, only kept": export(LeadFilters(only_kept=True)),
        "Export, table page 1000 (deep OFFSET)": lambda: engine.views.lead_page(cid, LeadFilters(), page=1000),
        "Review: record a label + next lead": lambda: (
            engine.record_feedback(_any_lead(engine, cid), "skip", "Bench"),
            engine.review_queue(cid, "Bench", batch_id=bid, limit=20),
        ),
    }


def _any_lead(engine: Engine, cid: int) -> int:
    L = schema.leads.c
    with engine.db.connect() as conn:
        return int(conn.execute(sa.select(L.id).where(L.client_id == cid).limit(1)).scalar_one())


def timed(fn: Callable[[], Any], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples)


def _session_token(settings: Settings) -> str:
    """A signed-in admin's session token (account ``Dana`` created when missing), for AppTest."""
    from icp_engine.auth import Auth
    from icp_engine.db import Database

    auth = Auth(Database(settings, migrate=False), settings)
    password = "bench pages password"
    if not any(u["username"] == "Dana" for u in auth.list_users()):
        auth.create_user("Dana", password, "admin", actor="bench")
    return auth.login("Dana", password)[1]


def apptest_renders(settings: Settings, ids: dict[str, Any], repeat: int) -> dict[str, float]:
    """Full server-side render of each page with AppTest (median ms of ``repeat`` reruns)."""
    import streamlit as st
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.testing.v1 import AppTest
    from streamlit.testing.v1 import app_test as app_test_module

    class _V2(PagesManager):  # see tests/test_app.py: a running server's state after its first run
        def __init__(self, *a, **k):
            super().__init__(*a, **k)
            PagesManager.uses_pages_directory = False

    app_test_module.PagesManager = _V2
    os.environ["ICP_DATA_DIR"] = str(settings.icp_data_dir)
    if settings.database_url:
        os.environ["DATABASE_URL"] = settings.database_url
    st.cache_resource.clear()
    out = {}
    for page in ("pages/1_clients.py", "pages/2_upload.py", "pages/3_run.py", "pages/4_review.py", "pages/5_export.py"):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
        at.session_state["_auth_token"] = _session_token(settings)
        at.run()
        at.switch_page(page).run()  # warm (engine, models)
        if at.exception:
            raise RuntimeError(f"{page}: {at.exception}")
        samples = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            at.run()
            samples.append((time.perf_counter() - t0) * 1000)
        out[page] = statistics.median(samples)
    return out


def apptest_upload(settings: Settings, ids: dict[str, Any], n: int) -> dict[str, float]:
    """Upload page with a saved followers page of ``n`` people (bench_parse's generator):
    first render with the preview (parse + known/new split against the client's leads + table),
    a rerun (preview cached in the session) and the Store click (one batch insert)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_parse import make_followers_page

    page = make_followers_page(n)
    os.environ["ICP_DATA_DIR"] = str(settings.icp_data_dir)
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    at.session_state["_auth_token"] = _session_token(settings)
    at.run()
    at.switch_page("pages/2_upload.py").run()
    out = {}
    t0 = time.perf_counter()
    at.file_uploader[0].set_value(("followers.html", page, "text/html")).run()
    out[f"Upload {n:,}-person page: preview render"] = (time.perf_counter() - t0) * 1000
    if at.exception or at.error:
        detail = at.exception[0].message if at.exception else at.error[0].value
        raise RuntimeError(f"upload of {n:,} people failed: {str(detail)[:300]}")
    t0 = time.perf_counter()
    at.run()
    out["Upload: rerun with the preview cached"] = (time.perf_counter() - t0) * 1000
    store = next(b for b in at.button if b.label.startswith("Store"))
    t0 = time.perf_counter()
    store.click().run()
    out[f"Upload: Store {n:,} people (click to rendered result)"] = (time.perf_counter() - t0) * 1000
    if at.exception:
        raise RuntimeError(str(at.exception))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--leads", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--database-url", default=None, help="an existing, empty database (default: embedded in a temp dir)")
    ap.add_argument("--apptest", action="store_true", help="also time full page renders with Streamlit AppTest")
    ap.add_argument("--csv", action="store_true", help="also time the CSV export of the whole batch")
    ap.add_argument("--upload", type=int, default=0, metavar="N",
                    help="also time the Upload page with a saved page of N followers (needs --apptest)")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="icp-bench-pages-", dir="/tmp"))
    settings = Settings(icp_data_dir=tmp, database_url=args.database_url, openai_api_key=None,
                        apify_api_token=None, jina_api_key=None, cohere_api_key=None)
    try:
        engine = Engine(settings)
        t0 = time.perf_counter()
        ids = seed(engine, args.leads)
        print(f"seeded {args.leads:,} scored leads in {time.perf_counter() - t0:.1f} s "
              f"(postgres: {'DATABASE_URL' if args.database_url else 'embedded'})")
        print(f"{'page':<48} {'median ms':>10}")
        worst = 0.0
        for name, fn in page_calls(engine, ids).items():
            fn()  # warm caches / plans
            ms = timed(fn, args.repeat)
            worst = max(worst, ms)
            print(f"{name:<48} {ms:>10.0f}")
        if args.csv:
            ms = timed(lambda: engine.export_csv(ids["client_id"], mark_exported=False), 1)
            print(f"{'CSV export of all leads (download click)':<48} {ms:>10.0f}")
        if args.apptest:
            print("full page renders (AppTest: script + SQL + elements, no browser drawing)")
            for page, ms in apptest_renders(settings, ids, args.repeat).items():
                worst = max(worst, ms)
                print(f"{page:<48} {ms:>10.0f}")
            if args.upload:
                print("upload of a big saved page (not a page render: parsing + storing, measured once)")
                try:
                    for name, ms in apptest_upload(settings, ids, args.upload).items():
                        print(f"{name:<48} {ms:>10.0f}")
                except RuntimeError as exc:
                    print(f"FAILED: {exc}")
        print(f"worst page: {worst:.0f} ms (target <= 1500 ms)")
        engine.db.dispose()
    finally:
        if not args.database_url:
            from icp_engine.db import stop_embedded_postgres

            stop_embedded_postgres(tmp)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
