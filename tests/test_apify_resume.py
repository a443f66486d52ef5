"""Kill-and-resume at the provider level: a worker process is SIGKILLed while its Apify runs are in
flight; the next worker collects those runs instead of starting new ones (issue 4 item 2)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter

import sqlalchemy as sa

from conftest import ROOT
from fakes.fake_apify import FakeApify, FakeApifyConfig
from icp_engine.enrich import EnrichRequest
from icp_engine.enrich.apify import ApifyProvider
from icp_engine.db import schema

TOKEN = "resume-token"

CHILD = textwrap.dedent("""
    import sys
    sys.path.insert(0, {root!r})
    from icp_engine.config import Settings
    from icp_engine.enrich import EnrichRequest
    from icp_engine.enrich.apify import ApifyProvider
    from icp_engine.db import Database
    s = Settings(database_url={db_url!r}, apify_api_token={token!r}, apify_api_base_url={base!r},
                 apify_batch_size=3, apify_max_concurrent_runs=3, icp_data_dir={data_dir!r})
    db = Database(s, migrate=False)
    reqs = [EnrichRequest(lead_id=i + 1, key=f"killed-{{i}}", url=f"https://www.linkedin.com/in/killed-{{i}}",
                          vanity=f"killed-{{i}}") for i in range(9)]
    for o in ApifyProvider(s, db, None, poll_wait_s=1).enrich(reqs):
        print("outcome", o.lead_id, flush=True)
""")


def test_sigkill_mid_run_then_resume_pays_nothing_twice(settings, db, tmp_path):
    with FakeApify(FakeApifyConfig(token=TOKEN, seed=11)) as fake:
        fake.next_run_durations.extend([4.0, 4.0, 4.0])
        foreign = fake.add_foreign_run(["https://www.linkedin.com/in/not-ours"])
        code = CHILD.format(root=str(ROOT), db_url=db.url, token=TOKEN, base=fake.base_url,
                            data_dir=str(tmp_path))
        child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                with db.begin() as conn:
                    n = conn.execute(sa.text(
                        "SELECT count(*) FROM apify_runs WHERE apify_run_id IS NOT NULL")).scalar()
                if n == 3 or child.poll() is not None:
                    break
                time.sleep(0.05)
            assert child.poll() is None, child.stderr.read().decode()[-2000:]
            os.kill(child.pid, signal.SIGKILL)
            child.wait(10)
        finally:
            if child.poll() is None:
                child.kill()
        assert len(fake.started) == 3 and fake.charged == []

        reqs = [EnrichRequest(lead_id=i + 1, key=f"killed-{i}", url=f"https://www.linkedin.com/in/killed-{i}",
                              vanity=f"killed-{i}") for i in range(9)]
        s = settings.model_copy(update=dict(apify_api_token=TOKEN, apify_api_base_url=fake.base_url,
                                            apify_batch_size=3, apify_max_concurrent_runs=3))
        p = ApifyProvider(s, db, None, poll_wait_s=2)
        assert p.estimate(reqs)["runs_to_start"] == 0 and p.estimate(reqs)["in_flight"] == 9
        out = {o.lead_id: o for o in p.enrich(reqs)}
        assert set(out) == set(range(1, 10)) and all(o.profile for o in out.values())
        assert len(fake.started) == 3  # no new run
        assert max(Counter(fake.charged_keys()).values()) == 1 and len(fake.charged) == 9
        assert fake.aborted == [] and fake.runs[foreign].status == "RUNNING"
        with db.begin() as conn:
            rs = conn.execute(sa.select(schema.apify_runs)).all()
        assert {r.status for r in rs} == {"SUCCEEDED"} and all(r.owner == p.owner for r in rs)
