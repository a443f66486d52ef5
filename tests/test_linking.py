"""Leads with and without a profile URL linked on name + company, through real uploads.

A ``Connections.csv`` export without URLs (2022 fixture) gives leads keyed ``name:<name>|<company>``.
The classic connections page (fixture) later shows four of the same people with profile URLs; their
company is read from the headline ("Procurement Manager at Veldmark Staffing"). They must become the
same leads (key and URLs taken over, no duplicate), and the reverse order must link too.
"""

from __future__ import annotations

from urllib.parse import unquote

import pytest
import sqlalchemy as sa

from icp_engine.domain import ICP
from icp_engine.engine import Engine
from tests.conftest import FIXTURES

EXPORT = FIXTURES / "ingest" / "exports" / "Connections_2022.csv"
PAGE = FIXTURES / "ingest" / "connections_classic.html"
# the people of the page that the export also has (same name, same company once legal forms go)
SHARED = {"Tamsin Okafor": "tamsin-okafor-4b1a", "Rafael Quintero": "rafael-quintero-ostrava",
          "Ji-woo Han": "ji-woo-han-7c2e11", "Mirela Vasić": "mirela-vasić"}


@pytest.fixture()
def engine(db, settings):
    return Engine(settings, db=db)


def _upload(engine: Engine, cid: int, path):
    preview = engine.preview_upload(cid, path.name, path.read_bytes())
    return preview, engine.store_upload(cid, [preview], batch_name=path.stem)


def _leads(db) -> dict[str, sa.Row]:
    with db.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT id, name, profile_key, profile_url, input_url, vanity, name_key, headline, status FROM leads"
        )).all()
    return {r.name: r for r in rows}


def test_export_without_urls_then_page_with_urls_links_not_duplicates(engine, db):
    cid = engine.create_client("Link")["id"]
    _, first = _upload(engine, cid, EXPORT)
    assert first["new_leads"] == 5
    before = _leads(db)
    assert before["Tamsin Okafor"].profile_key == "name:tamsin okafor|veldmark staffing"
    assert before["Tamsin Okafor"].name_key == before["Tamsin Okafor"].profile_key
    assert before["Tamsin Okafor"].profile_url == ""

    preview, second = _upload(engine, cid, PAGE)
    assert (preview.new, preview.known, preview.linked) == (1, 4, 4)
    assert any("match a lead without a profile URL" in n for n in preview.notices())
    assert (second["new_leads"], second["known_leads"]) == (1, 4)
    assert sorted(second["relinked_lead_ids"]) == sorted(before[n].id for n in SHARED)
    after = _leads(db)
    assert len(after) == 6  # 5 from the export + Hugo Lindqvist, who is only on the page
    on_page = {p.name: p for p in preview.parsed.people}
    for name, vanity in SHARED.items():
        lead = after[name]
        assert lead.id == before[name].id
        assert lead.profile_key == vanity and lead.vanity == vanity
        assert unquote(lead.profile_url) == f"https://www.linkedin.com/in/{vanity}"
        assert (lead.profile_url, lead.input_url) == (on_page[name].profile_url, on_page[name].url)
        assert lead.headline == on_page[name].headline  # the page's own headline
    assert after["Amara Lindqvist 🌿"].profile_url == ""  # not on the page: still without a URL
    with db.connect() as conn:
        members = conn.execute(sa.text("SELECT count(*) FROM batch_members WHERE batch_id=:b"),
                               {"b": second["id"]}).scalar_one()
    assert members == 5


def test_linked_lead_qualified_on_export_data_is_enriched_again_from_its_url(engine, db):
    cid = engine.create_client("Relink")["id"]
    engine.save_icp(cid, ICP(target_titles=["Head of Finance"]))
    _, first = _upload(engine, cid, EXPORT)
    final = engine.execute_run(engine.create_run(cid, batch_id=first["id"]))
    assert final["counts"]["scored"] == 5 and final["counts"]["no_url"] == 5
    rafael = _leads(db)["Rafael Quintero"]
    assert rafael.status == "qualified"
    _, second = _upload(engine, cid, PAGE)
    rafael = _leads(db)["Rafael Quintero"]
    # its data came only from the export: back to discovered, its old score gone, so the page
    # batch's run (or live Apify) enriches it from its URL and scores it again
    assert rafael.status == "discovered"
    with db.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM lead_scores WHERE lead_id=:i"),
                            {"i": rafael.id}).scalar_one() == 0
    final2 = engine.execute_run(engine.create_run(cid, batch_id=second["id"]))
    assert final2["counts"]["total"] == 5 and final2["counts"]["scored"] == 5 and final2["counts"]["no_url"] == 0
    rows = {r["name"]: r for r in engine.export_rows(cid)}
    assert len(rows) == 6
    assert rows["Rafael Quintero"]["profile_url"] == "https://www.linkedin.com/in/rafael-quintero-ostrava"


def test_page_with_urls_then_export_without_urls_matches_the_same_leads(engine, db):
    cid = engine.create_client("Reverse")["id"]
    _upload(engine, cid, PAGE)
    before = _leads(db)
    assert before["Tamsin Okafor"].name_key == "name:tamsin okafor|veldmark staffing"  # company from the headline
    preview, second = _upload(engine, cid, EXPORT)
    assert (preview.new, preview.known, preview.linked) == (1, 4, 0)
    assert (second["new_leads"], second["known_leads"]) == (1, 4)
    after = _leads(db)
    assert len(after) == 6
    for name, vanity in SHARED.items():
        assert after[name].id == before[name].id and after[name].profile_key == vanity


def test_namesakes_at_one_company_are_not_guessed(engine, db):
    """Two URL leads with the same name and company: an export row of that name matches neither."""
    from icp_engine.domain import Follower

    cid = engine.create_client("Namesakes")["id"]
    people = [
        Follower(key=v, url=f"https://www.linkedin.com/in/{v}", profile_url=f"https://www.linkedin.com/in/{v}",
                 vanity=v, name="Sam Lee", headline="Analyst at Orbit Foods")
        for v in ("sam-lee-1", "sam-lee-2")
    ]
    engine.ingest_followers(cid, people, batch_name="page")
    csv = b"First Name,Last Name,Company,Position\nSam,Lee,Orbit Foods,Analyst\n"
    preview = engine.preview_upload(cid, "Connections.csv", csv)
    assert (preview.new, preview.known) == (1, 0)
