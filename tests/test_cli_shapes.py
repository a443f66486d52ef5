"""``python -m icp_engine run`` on every project-owned input shape (issue 8, done-when): each
saved-page generation, the classic connections markup and its developer-tools fragment,
Connections.csv with and without URLs (2018, 2022, Excel re-save, user-edited ``;``), a URL list,
and the classic page enriched from each Apify item shape. Every person the file holds is a row
of the CSV, with a name, and the run's counts say how many were enriched, scored on the upload's
data only, or lack a profile URL.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from icp_engine.cli import app
from icp_engine.ingest.upload import parse_upload
from tests.conftest import FIXTURES

INGEST = FIXTURES / "ingest"
SHAPES = [
    "followers_g1.html", "followers_g2.html", "followers_g3.html", "connections_g3.html", "connections_mn.html",
    "connections_classic.html", "connections_classic_fragment.html", "Connections.csv", "profile_urls.txt",
    "exports/Connections_2018.csv", "exports/Connections_2022.csv", "exports/Connections_2023_excel.csv",
    "exports/Connections_edited.csv",
]
# Apify item shapes of tests/fixtures/enrich, for the people of connections_classic.html:
# file -> people of the page the file has an item for
ITEM_SHAPES = {
    "dev_fusion_ui.json": {"tamsin-okafor-4b1a", "rafael-quintero-ostrava", "ji-woo-han-7c2e11"},
    "harvestapi.json": {"ji-woo-han-7c2e11", "hugo-lindqvist-b2"},
    "supreme_coder_company.json": {"mirela-vasi%C4%87", "hugo-lindqvist-b2"},
}


@pytest.fixture()
def cli(db, settings, monkeypatch, tmp_path):
    monkeypatch.setenv("ICP_DATA_DIR", str(settings.icp_data_dir))
    if settings.database_url:
        monkeypatch.setenv("DATABASE_URL", settings.database_url)
    for key in ("OPENAI_API_KEY", "APIFY_API_TOKEN", "JINA_API_KEY", "COHERE_API_KEY"):
        monkeypatch.delenv(key, raising=False)
    icp = tmp_path / "icp.json"
    icp.write_text(json.dumps({"target_titles": ["CFO", "Head of Finance", "Controller", "Procurement Manager"],
                               "target_industries": ["Financial Services"]}))
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, list(args), catch_exceptions=False)

    invoke.icp = icp
    invoke.tmp = tmp_path
    return invoke


def _rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def _counts(db) -> dict:
    with db.connect() as conn:
        return conn.execute(sa.text("SELECT counts FROM runs ORDER BY id DESC LIMIT 1")).scalar_one()


@pytest.mark.parametrize("shape", SHAPES)
def test_run_on_each_input_shape_keeps_every_person(cli, db, shape):
    path = INGEST / shape
    parsed = parse_upload(path.name, path.read_bytes())
    out = cli.tmp / "out.csv"
    res = cli("run", "--client", "Shapes", "--icp", str(cli.icp), "--input", str(path), "--out", str(out))
    assert res.exit_code == 0, res.output
    rows = _rows(out)
    people = len(parsed.people)
    without_url = sum(1 for p in parsed.people if not p.has_url)
    assert len(rows) == people
    assert all(r["name"] for r in rows)
    assert sum(1 for r in rows if not r["profile_url"]) == without_url
    assert all(r["match_reasoning"].startswith("no profile URL in the export") for r in rows if not r["profile_url"])
    c = _counts(db)
    assert (c["total"], c["scored"], c["no_url"], c["not_enriched"], c["failed"]) == (people, people, without_url, 0, 0)
    said = " ".join(res.output.split())
    assert f"{people} of {people} leads scored: {people} on the upload's data" in said


@pytest.mark.parametrize("items", sorted(ITEM_SHAPES))
def test_run_on_each_apify_item_shape_keeps_every_person(cli, db, items):
    page = INGEST / "connections_classic.html"
    out = cli.tmp / "out.csv"
    res = cli("run", "--client", "ItemShapes", "--icp", str(cli.icp), "--input", str(page), "--enrich", "apify-json",
              "--profiles", str(FIXTURES / "enrich" / items), "--out", str(out))
    assert res.exit_code == 0, res.output
    rows = {r["profile_url"].rsplit("/", 1)[-1]: r for r in _rows(out)}
    assert len(rows) == 5
    have = ITEM_SHAPES[items]
    for vanity, r in rows.items():
        if vanity in have:
            assert not r["match_reasoning"].startswith("enrichment:"), r
            assert r["company"]  # from the item (Hugo has no current role in the harvestapi item)
        else:
            assert r["match_reasoning"].startswith("enrichment: not in the Apify export · ")
    c = _counts(db)
    assert (c["scored"], c["not_enriched"], c["failed"]) == (5, 5 - len(have), 0)
    said = " ".join(res.output.split())
    assert f"5 of 5 leads scored: {len(have)} enriched from the Apify export, {5 - len(have)} scored on the upload's" in said
