"""No follower of an upload is ever dropped (issue 8 item 6), and what the CSV says about it.

A follower enrichment has nothing for (not in an Apify export, no profile URL to send to live
Apify, not returned by Apify) stays a lead, is qualified on the upload's data and is in the CSV
with the reason first in ``match_reasoning``; the run's counts and the CLI say how many. A lead
known only by its URL shows its vanity name; an offline industry guess reads "X (guessed)".
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa
from fakes.fake_apify import FakeApify, FakeApifyConfig
from typer.testing import CliRunner

from icp_engine.cli import app
from icp_engine.domain import ICP
from icp_engine.engine import Engine
from icp_engine.enrich.apify import NO_URL_NOTE
from icp_engine.export import NO_URL_NOTE as CSV_NO_URL_NOTE
from icp_engine.ingest.upload import parse_text
from icp_engine.pipeline import RunOptions, profile_from_row
from tests.conftest import FIXTURES

TOKEN = "fake-token"
ICP_JSON = {"target_titles": ["CFO", "VP Finance", "Head of Finance", "Procurement Manager"],
            "target_industries": ["Banking"]}


@pytest.fixture()
def engine(db, settings):
    return Engine(settings, db=db)


@pytest.fixture()
def cli(db, settings, monkeypatch, tmp_path):
    monkeypatch.setenv("ICP_DATA_DIR", str(settings.icp_data_dir))
    if settings.database_url:
        monkeypatch.setenv("DATABASE_URL", settings.database_url)
    for key in ("OPENAI_API_KEY", "APIFY_API_TOKEN", "JINA_API_KEY", "COHERE_API_KEY"):
        monkeypatch.delenv(key, raising=False)
    icp = tmp_path / "icp.json"
    icp.write_text(json.dumps(ICP_JSON))
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, list(args), catch_exceptions=False)

    invoke.icp = icp
    invoke.tmp = tmp_path
    return invoke


def _csv(data: bytes | Path) -> list[dict[str, str]]:
    raw = data.read_bytes() if isinstance(data, Path) else data
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


def test_apify_export_missing_most_followers_every_one_in_the_csv(cli, db):
    out = cli.tmp / "out.csv"
    res = cli("run", "--client", "Subset", "--icp", str(cli.icp), "--input",
              str(FIXTURES / "ui" / "followers_finance.html"), "--enrich", "apify-json", "--profiles",
              str(FIXTURES / "ui" / "apify_items_finance.json"), "--out", str(out))
    assert res.exit_code == 0, res.output
    rows = {r["name"]: r for r in _csv(out)}
    assert len(rows) == 12  # 4 in the export, 8 not: all 12 followers are in the CSV
    missing = [r for r in rows.values() if r["match_reasoning"].startswith("enrichment: not in the Apify export · ")]
    assert len(missing) == 8
    assert all(r["status"] == "qualified" for r in rows.values())  # none failed
    assert not rows["Ingrid Salvesen"]["match_reasoning"].startswith("enrichment:")
    said = " ".join(res.output.split())  # rich wraps long lines
    assert "12 of 12 leads scored: 4 enriched from the Apify export, 8 scored on the upload's data only" in said
    with db.connect() as conn:
        counts = conn.execute(sa.text("SELECT counts FROM runs")).scalar_one()
        sources = Counter(conn.execute(sa.text("SELECT enrichment_source FROM leads")).scalars())
    assert (counts["not_enriched"], counts["scored"], counts["failed"]) == (8, 12, 0)
    assert sources == {"apify-json": 4, "page": 8}


def test_url_only_leads_show_their_vanity_name(cli):
    urls = cli.tmp / "urls.txt"
    urls.write_text("https://www.linkedin.com/in/tamsin-okafor-4b1a\nhttps://www.linkedin.com/in/ACoAAB1x2y3z4a5b6c7d8e9f0g1h2i3j4k5l6m7\n")
    out = cli.tmp / "out.csv"
    res = cli("run", "--client", "Urls", "--icp", str(cli.icp), "--input", str(urls), "--out", str(out))
    assert res.exit_code == 0, res.output
    rows = _csv(out)
    assert sorted(r["name"] for r in rows) == ["ACoAAB1x2y3z4a5b6c7d8e9f0g1h2i3j4k5l6m7", "tamsin-okafor-4b1a"]
    assert all(r["first_name"] == "" and r["last_name"] == "" for r in rows)  # a vanity is no real name


def test_export_without_urls_under_live_apify_is_not_sent_and_is_qualified(engine, db, settings):
    data = (FIXTURES / "ingest" / "exports" / "Connections_2018.csv").read_bytes()
    with FakeApify(FakeApifyConfig(token=TOKEN, run_duration_s=0.05, seed=3)) as fake:
        s = settings.model_copy(update=dict(apify_api_token=TOKEN, apify_api_base_url=fake.base_url))
        eng = Engine(s, db=db)
        cid = eng.create_client("NoUrls")["id"]
        eng.save_icp(cid, ICP(target_titles=["Logistics Manager"]))
        preview = eng.preview_upload(cid, "Connections.csv", data)
        assert preview.without_url == 3
        batch = eng.store_upload(cid, [preview])
        opts = RunOptions(enrich="apify", classify=False)
        assert eng.estimate_run(cid, batch["id"], opts)["no_url"] == 3
        final = eng.execute_run(eng.create_run(cid, batch_id=batch["id"], options=opts))
        assert fake.started == [] and fake.charged_keys() == []
        rows = _csv(eng.export_csv(cid, batch_id=batch["id"]))
    c = final["counts"]
    assert (c["scored"], c["not_enriched"], c["no_url"], c["failed"]) == (3, 3, 3, 0)
    assert len(rows) == 3
    for r in rows:
        assert r["profile_url"] == ""
        assert r["match_reasoning"].startswith(f"enrichment: {NO_URL_NOTE} · ")
    kwame = next(r for r in rows if r["name"] == "Kwame Asante")
    assert kwame["current_titles"] == "Logistics Manager" and kwame["company"] == "Accra Freight Partners"
    assert float(kwame["icp_score"]) >= 60  # scored on the position the export holds


def test_page_provider_marks_export_rows_without_url(engine, db):
    cid = engine.create_client("PageNoUrl")["id"]
    engine.save_icp(cid, ICP(target_titles=["CFO"]))
    p = engine.preview_upload(cid, "c.csv", (FIXTURES / "ingest" / "exports" / "Connections_2023_excel.csv").read_bytes())
    b = engine.store_upload(cid, [p])
    engine.execute_run(engine.create_run(cid, batch_id=b["id"], options=RunOptions(classify=False)))
    rows = _csv(engine.export_csv(cid, batch_id=b["id"]))
    assert len(rows) == 4
    assert all(r["match_reasoning"].startswith(CSV_NO_URL_NOTE + " · ") for r in rows)
    page = engine.views.lead_page(cid, page_size=10)["rows"]
    assert all(r["match_reasoning"].startswith(CSV_NO_URL_NOTE) for r in page)


def test_live_apify_profiles_not_returned_are_qualified_with_the_reason(engine, db, settings):
    urls = "\n".join(f"https://www.linkedin.com/in/private-{i:03d}" for i in range(30))
    gone = {"private-003", "private-017", "private-029"}
    cfg = FakeApifyConfig(token=TOKEN, run_duration_s=0.05, unscrapable=gone, seed=2)
    with FakeApify(cfg) as fake:
        s = settings.model_copy(update=dict(apify_api_token=TOKEN, apify_api_base_url=fake.base_url,
                                            apify_batch_size=10))
        eng = Engine(s, db=db)
        cid = eng.create_client("Private")["id"]
        eng.save_icp(cid, ICP(target_titles=["CFO"]))
        parsed = parse_text(urls)
        b = eng.ingest_followers(cid, parsed.people, batch_name="b", source_kind=parsed.kind)
        final = eng.execute_run(eng.create_run(cid, batch_id=b["id"], options=RunOptions(enrich="apify",
                                                                                           classify=False)))
        charged = Counter(fake.charged_keys())
        rows = {r["name"]: r for r in _csv(eng.export_csv(cid, batch_id=b["id"]))}
    assert final["status"] == "completed"
    c = final["counts"]
    assert (c["total"], c["scored"], c["failed"], c["not_enriched"]) == (30, 30, 3, 3)
    assert len(rows) == 30 and len(charged) == 27 and max(charged.values()) == 1
    for vanity in gone:
        r = rows[vanity]  # the vanity name: the upload knew nothing else
        assert r["status"] == "not enriched"
        assert r["match_reasoning"].startswith("enrichment: not returned by Apify (run ")
        assert "ended SUCCEEDED)" in r["match_reasoning"]
    with db.connect() as conn:
        failed = conn.execute(sa.text(
            "SELECT retry_count, enrichment_source FROM leads WHERE status='failed'")).all()
    assert [tuple(f) for f in failed] == [(3, "page")] * 3


def test_industry_guess_is_stored_shown_as_guessed_and_not_data(engine, db):
    cid = engine.create_client("Guess")["id"]
    engine.save_icp(cid, ICP(target_titles=["Treasury Analyst"], target_industries=["Software Development"]))
    data = (b"First Name,Last Name,Company,Position\n"
            b"Lena,Brook,Fjordside Bank,Treasury Analyst\n"
            b"Omar,Reyes,Tallow Labs,Treasury Analyst\n")
    b = engine.store_upload(cid, [engine.preview_upload(cid, "Connections.csv", data)])
    engine.execute_run(engine.create_run(cid, batch_id=b["id"]))
    with db.connect() as conn:
        rows = {r["name"]: dict(r) for r in conn.execute(sa.text("SELECT * FROM leads")).mappings()}
    lena = rows["Lena Brook"]
    assert (lena["industry"], lena["industry_class"]) == (None, None)
    assert (lena["industry_guess"], lena["industry_source"]) == ("Banking", "guess")
    assert lena["company_type_source"] in ("text", "none") and lena["company_type_is_guess"] is False
    prof = profile_from_row(lena)
    assert prof.industry is None and prof.industry_guess == "Banking"
    assert rows["Omar Reyes"]["industry_guess"] is None and rows["Omar Reyes"]["industry_source"] is None
    csv_rows = {r["name"]: r for r in _csv(engine.export_csv(cid, batch_id=b["id"]))}
    assert csv_rows["Lena Brook"]["industry"] == "Banking (guessed)"
    assert csv_rows["Omar Reyes"]["industry"] == ""
    # a guess is never a mismatch: the two leads differ only in the company and score the same
    assert csv_rows["Lena Brook"]["icp_score"] == csv_rows["Omar Reyes"]["icp_score"]
