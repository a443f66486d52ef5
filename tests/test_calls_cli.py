"""`icp-from-calls` end to end: transcripts and an offline Fathom folder in, PROPOSAL.json out,
--apply saving a new ICP version on a real Postgres, bad input leaving nothing written."""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from icp_engine.cli import app
from tests.conftest import FIXTURES

DEV = FIXTURES / "calls" / "dev"


@pytest.fixture()
def run(settings, monkeypatch, tmp_path):
    monkeypatch.setenv("ICP_DATA_DIR", str(settings.icp_data_dir))
    if settings.database_url:
        monkeypatch.setenv("DATABASE_URL", settings.database_url)
    for key in ("OPENAI_API_KEY", "FATHOM_API_KEY"):
        monkeypatch.delenv(key, raising=False)
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, ["icp-from-calls", *args], catch_exceptions=False)

    invoke.tmp = tmp_path
    return invoke


def test_transcripts_to_proposal_json_without_a_database(run):
    out = run.tmp / "PROPOSAL.json"
    res = run("--client", "Lumen & Vale", "--transcript", str(DEV / "lumenvale-1.json"),
              "--transcript", str(DEV / "lumenvale-2.txt"), "--out", str(out))
    assert res.exit_code == 0, res.output
    data = json.loads(out.read_text())
    assert [i["value"] for i in data["target_titles"]] == [
        "General Counsel", "Head of Legal", "Legal Operations Manager", "Chief Legal Officer"]
    assert [i["value"] for i in data["target_industries"]] == ["Software Development", "Financial Services"]
    assert [r["value"] for r in data["retracted"] if r["field"] == "target_industries"] == ["Insurance"]
    assert [i["value"] for i in data["audience"]["target_titles"]] == ["Contract Manager", "Paralegal"]
    assert "taken back: Insurance" in res.output and "wrote" in res.output


def test_offline_fathom_folder_guesses_the_domain(run, tmp_path):
    folder = tmp_path / "fathom"
    folder.mkdir()
    for name in ("cobalt-1.json", "cobalt-2.json", "arclight-1.json"):
        shutil.copy(DEV / name, folder / name)
    out = run.tmp / "p.json"
    res = run("--client", "Cobalt Ledger", "--fathom", "--fathom-dir", str(folder), "--since", "2025-09-01",
              "--out", str(out))
    assert res.exit_code == 0, res.output
    assert "cobaltledger.example (guessed" in res.output
    data = json.loads(out.read_text())
    assert [c["id"] for c in data["calls"]] == ["fathom:210334871", "fathom:212908455"]
    assert "Head of Procurement" in [i["value"] for i in data["target_titles"]]
    res2 = run("--client", "Cobalt Ledger", "--fathom", "--fathom-dir", str(folder), "--invitee-domain",
               "nobody.example", "--out", str(run.tmp / "none.json"))
    assert res2.exit_code == 2 and "No Fathom meeting" in res2.output
    assert not (run.tmp / "none.json").exists()


def test_bad_input_writes_nothing(run, tmp_path):
    bad = tmp_path / "minutes.pdf"
    bad.write_bytes(b"%PDF-1.4 binary")
    out = run.tmp / "p.json"
    res = run("--client", "X", "--transcript", str(DEV / "arclight-1.json"), "--transcript", str(bad), "--out", str(out))
    assert res.exit_code == 2 and "PDF" in res.output and not out.exists()
    res = run("--client", "X", "--fathom", "--out", str(out))
    assert res.exit_code == 2 and "FATHOM_API_KEY" in res.output
    res = CliRunner().invoke(app, ["icp-from-calls", "--client", "X", "--out", str(out)])
    assert res.exit_code != 0 and not out.exists()


def test_apply_saves_a_new_icp_version_naming_the_calls(run, db):
    from icp_engine.engine import Engine

    eng = Engine(db=db)
    c = eng.get_or_create_client("Arclight Security")
    from icp_engine.domain import ICP

    eng.save_icp(c["id"], ICP(name="v1", target_titles=["CISO"], target_industries=["E-commerce"]), author="test")
    out = run.tmp / "p.json"
    res = run("--client", "Arclight Security", "--transcript", str(DEV / "arclight-1.json"),
              "--transcript", str(DEV / "arclight-2.txt"), "--out", str(out), "--apply")
    assert res.exit_code == 0, res.output
    row, icp = eng.current_icp(c["id"])
    assert row["version"] == 2 and row["created_by"] == "icp-from-calls"
    assert icp.target_titles == ["CISO", "Head of IT", "IT Manager", "CTO"]
    assert "E-commerce" not in icp.target_industries and "Law Practice" in icp.target_industries
    assert row["change_note"].startswith("From calls: Arclight Security - targeting (2025-09-25)")
    assert "Removed industries: E-commerce" in row["change_note"]
    # the same calls again change nothing
    res = run("--client", "Arclight Security", "--transcript", str(DEV / "arclight-1.json"),
              "--transcript", str(DEV / "arclight-2.txt"), "--out", str(out), "--apply")
    assert res.exit_code == 0 and "nothing to change" in res.output
    assert eng.current_icp(c["id"])[0]["version"] == 2


def test_apply_records_the_calls_and_uses_every_stored_call(run, db):
    import sqlalchemy as sa

    from icp_engine.db import schema
    from icp_engine.engine import Engine

    eng = Engine(db=db)
    out = run.tmp / "p.json"
    res = run("--client", "Arclight Security", "--transcript", str(DEV / "arclight-1.json"), "--invitee-domain",
              "arclight.example", "--out", str(out), "--apply")
    assert res.exit_code == 0, res.output
    c = eng.get_client("Arclight Security")
    assert c["email_domains"] == ["arclight.example"]
    v1 = eng.current_icp(c["id"])[0]
    assert v1["version"] == 1 and "Law Practice" not in eng.current_icp(c["id"])[1].target_industries
    # a second run with only the second call: the proposal covers both stored calls
    res = run("--client", "Arclight Security", "--transcript", str(DEV / "arclight-2.txt"), "--out", str(out), "--apply")
    assert res.exit_code == 0, res.output
    assert "every stored call of Arclight Security" in res.output
    data = json.loads(out.read_text())
    assert [c_["id"] for c_ in data["calls"]][0] == "fathom:205001236" and len(data["calls"]) == 2
    row, icp = eng.current_icp(c["id"])
    assert row["version"] == 2 and "Law Practice" in icp.target_industries
    assert "CTO" in icp.target_titles  # from the first call, still there
    with db.connect() as conn:
        calls = conn.execute(sa.select(schema.fathom_calls.c.imported_by, schema.fathom_calls.c.applied_icp_version_id,
                                       schema.fathom_calls.c.status).order_by(schema.fathom_calls.c.id)).all()
    assert [tuple(r) for r in calls] == [("icp-from-calls", row["id"], "processed")] * 2
    # the same file again is not read twice and changes nothing
    res = run("--client", "Arclight Security", "--transcript", str(DEV / "arclight-2.txt"), "--out", str(out), "--apply")
    assert res.exit_code == 0 and "already read" in res.output and "nothing to change" in res.output
