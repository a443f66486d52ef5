"""The "From discovery calls" section of the Clients & ICP page with Streamlit's AppTest, on the real
test Postgres: transcripts dropped in, the review diff with accept / reject, saving a new ICP
version, leaving a call out, unreadable files, and the client's Fathom meetings with the Fathom API
faked at the transport (``tests/fakes/fake_fathom.py`` installed through ``ICP_WIRING_HOOK``)."""

# ruff: noqa: F811 - the app fixtures of tests/test_app.py are imported and then requested by name
from __future__ import annotations

import re

import pytest

from icp_engine import CallStatus
from icp_engine.domain import ICP
from tests.conftest import FIXTURES
from tests.fakes import fake_fathom
from tests.test_app import app_env, eng, new_app  # noqa: F401 - fixtures requested by the tests below

DEV = FIXTURES / "calls" / "dev"


def _upload(at, *names: str) -> None:
    files = [(n, (DEV / n).read_bytes(), "application/json" if n.endswith(".json") else "text/plain") for n in names]
    at.file_uploader[0].set_value(files)
    at.run()
    assert not at.exception, at.exception


def _decision(at, change_id: str):
    return next(w for w in at.segmented_control if w.key.endswith(change_id))


def _shown(markdown: str) -> str:
    """Markdown source as the user reads it (the page escapes user and transcript text)."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u200b", "")


def _texts(at) -> str:
    return _shown("\n".join([t.value for t in at.text] + [m.value for m in at.markdown] + [c.value for c in at.caption]))


def _success(at) -> str:
    return _shown("\n".join(s.value for s in at.success))


def test_upload_review_accept_some_and_see_the_new_version(app_env, eng):
    c = eng.create_client("Arclight Security")
    cid = c["id"]
    eng.save_icp(cid, ICP(name="v1", target_titles=["CISO"], target_industries=["E-commerce"]), author="setup")
    at = new_app(reviewer="Dana")
    at.run()
    assert not at.exception, at.exception
    assert any(s.value == "From discovery calls" for s in at.subheader)
    at.text_input(key=f"calls_domains_{cid}").input("Arclight.example")
    at.button(key=f"calls_domains_save_{cid}").click().run()
    assert eng.calls.email_domains(cid) == ["arclight.example"]

    _upload(at, "arclight-1.json", "arclight-2.txt")
    preview = next(d.value for d in at.dataframe if "turns" in d.value.columns)
    assert list(preview["status"]) == ["New", "New"] and list(preview["turns"]) == [12, 8]
    read = at.button(key=f"calls_read_{cid}")
    assert read.label == "Read 2 calls" and not read.disabled
    read.click().run()
    assert not at.exception, at.exception
    assert "Read 2 calls." in _success(at)
    calls = eng.calls.list_calls(cid)
    assert [r["imported_by"] for r in calls] == ["Dana", "Dana"]

    # the diff: added, removed and unchanged items with their quotes and an accept / reject each
    text = _texts(at)
    assert "Proposed changes to ICP version 1" in text and "from 2 calls" in text
    assert "“Actually, forget e-commerce.”" in text  # the quote behind removing E-commerce
    assert "Nadia Haddad (client)" in text
    remove = _decision(at, "removed:target_industries:online and mail order retail")
    assert remove.value == "Accept"
    _decision(at, "added:target_titles:cto").set_value("Reject")
    at.run()
    save = at.button(key=f"calls_save_{cid}")
    assert save.label.startswith("Save ") and save.label.endswith(" as ICP version 2")
    save.click().run()
    assert not at.exception, at.exception

    row, icp = eng.current_icp(cid)
    assert row["version"] == 2 and row["created_by"] == "Dana"
    assert row["change_note"].startswith("From calls: Arclight Security - targeting (2025-09-25); Arclight - revisit ICP")
    assert "CTO" not in icp.target_titles and "Head of IT" in icp.target_titles
    assert "E-commerce" not in icp.target_industries and "Law Practice" in icp.target_industries
    assert "Saved ICP version 2 by Dana" in _success(at)
    # the editor shows the saved version, the history lists it, the calls count as reviewed
    assert at.multiselect(key=f"icp_target_titles_{cid}").value == icp.target_titles
    assert list(at.dataframe[-1].value["Version"]) == ["v2", "v1"]
    assert {r["applied_icp_version_id"] for r in eng.calls.list_calls(cid)} == {row["id"]}
    # what is left: the rejected CTO, now starting as rejected
    assert _decision(at, "added:target_titles:cto").value == "Reject"
    assert at.button(key=f"calls_save_{cid}").label == "Reject all and mark the calls as reviewed"


def test_a_call_can_be_left_out_and_put_back(app_env, eng):
    c = eng.create_client("Arclight Security")
    cid = c["id"]
    eng.save_icp(cid, ICP(name="v1", target_industries=["E-commerce"]), author="setup")
    eng.calls.import_files(cid, [(n, (DEV / n).read_bytes()) for n in ("arclight-1.json", "arclight-2.txt")],
                           author="setup")
    at = new_app()
    at.run()
    assert any(w.key.endswith("removed:target_industries:online and mail order retail") for w in at.segmented_control)
    second = next(r for r in eng.calls.list_calls(cid) if r["source"] == "fathom-text")
    box = at.multiselect(key=f"calls_left_out_{cid}_0")
    assert box.value == []
    box.select(second["id"]).run()
    assert not at.exception, at.exception
    assert next(r for r in eng.calls.list_calls(cid) if r["id"] == second["id"])["status"] == CallStatus.IGNORED
    assert not any(w.key.endswith("removed:target_industries:online and mail order retail") for w in at.segmented_control)
    assert "from 1 call" in _texts(at)
    at.multiselect(key=f"calls_left_out_{cid}_0").unselect(second["id"]).run()
    assert next(r for r in eng.calls.list_calls(cid) if r["id"] == second["id"])["status"] == CallStatus.PROCESSED
    assert any(w.key.endswith("removed:target_industries:online and mail order retail") for w in at.segmented_control)


def test_unreadable_files_show_why_and_store_nothing(app_env, eng):
    c = eng.create_client("Acme")
    at = new_app()
    at.run()
    at.file_uploader[0].set_value([("minutes.pdf", b"%PDF-1.4 binary", "application/pdf"),
                                   ("empty.txt", b"   ", "text/plain")])
    at.run()
    assert not at.exception, at.exception
    errors = [_shown(e.value) for e in at.error]
    assert any("minutes" in e and "PDF" in e for e in errors) and any("empty" in e for e in errors)
    assert at.button(key=f"calls_read_{c['id']}").disabled
    assert eng.calls.list_calls(c["id"]) == []


def test_fathom_tab_without_a_key_says_what_to_do(app_env, eng):
    eng.create_client("Acme")
    at = new_app()
    at.run()
    assert any("FATHOM_API_KEY" in cpt.value for cpt in at.caption)
    assert not [b for b in at.button if b.label in ("Find meetings", "Suggest from Fathom")]


@pytest.fixture()
def fathom_env(app_env, monkeypatch):
    """A Fathom key, and every wiring of the app talking to a fresh fake Fathom at the transport."""
    monkeypatch.setenv("FATHOM_API_KEY", fake_fathom.KEY)
    monkeypatch.setenv("FATHOM_MIN_INTERVAL_S", "0")
    monkeypatch.setenv("ICP_WIRING_HOOK", "tests.fakes.fake_fathom:install")
    fake = fake_fathom.FakeFathom()
    monkeypatch.setattr(fake_fathom, "FAKE", fake)
    return fake


def test_fathom_meetings_of_the_client_are_listed_and_read(fathom_env, eng):
    fake = fathom_env
    c = eng.create_client("Cobalt Ledger")
    cid = c["id"]
    at = new_app(reviewer="Dana")
    at.run()
    assert not at.exception, at.exception
    # no domain yet: Fathom suggests one from the invitees, the user saves it
    at.button(key=f"calls_domains_suggest_{cid}").click().run()
    assert at.text_input(key=f"calls_domains_{cid}").value == "cobaltledger.example"
    at.button(key=f"calls_domains_save_{cid}").click().run()
    assert eng.calls.email_domains(cid) == ["cobaltledger.example"]

    fake.requests.clear()
    at.button(key=f"calls_find_{cid}").click().run()
    assert not at.exception, at.exception
    listing = fake.requests[0].url.params
    assert listing.get_list("calendar_invitees_domains[]") == ["cobaltledger.example"]
    assert listing.get("include_transcript") is None  # transcripts only for the meetings picked
    table = next(d.value for d in at.dataframe if "meeting" in d.value.columns)
    assert list(table["meeting"]) == ["Cobalt Ledger - monthly check-in", "Cobalt Ledger ICP call"]
    assert list(table["client_people"]) == ["Maya Thornton", "Maya Thornton"]
    pick = at.multiselect(key=f"calls_pick_{cid}_1")
    assert pick.value == [212908455, 210334871]
    pick.unselect(212908455).run()
    at.button(key=f"calls_import_{cid}").click().run()
    assert not at.exception, at.exception
    assert [r["recording_id"] for r in eng.calls.list_calls(cid)] == [210334871]
    assert fake.paths()[-1] == "/external/v1/recordings/210334871/transcript"
    assert "Read 1 call." in _success(at)
    assert "VP Finance" in _texts(at)

    # listed again: the meeting read before is marked and not picked
    at.button(key=f"calls_find_{cid}").click().run()
    table = next(d.value for d in at.dataframe if "meeting" in d.value.columns)
    assert list(table["already_read"])[1].startswith("Cobalt Ledger ICP call")
    assert at.multiselect(key=f"calls_pick_{cid}_2").value == [212908455]


def test_fathom_errors_are_shown(fathom_env, eng):
    fathom_env.key = "another-key"  # Fathom rejects ours
    c = eng.create_client("Cobalt Ledger")
    eng.calls.set_email_domains(c["id"], "cobaltledger.example")
    at = new_app()
    at.run()
    at.button(key=f"calls_find_{c['id']}").click().run()
    assert not at.exception, at.exception
    assert any("rejected the API key" in _shown(e.value) for e in at.error)


def test_accept_all_and_reject_all(app_env, eng):
    c = eng.create_client("Arclight Security")
    cid = c["id"]
    eng.calls.import_files(cid, [(n, (DEV / n).read_bytes()) for n in ("arclight-1.json", "arclight-2.txt")],
                           author="setup")
    at = new_app()
    at.run()
    assert {w.value for w in at.segmented_control} == {"Accept"}
    at.button(key=f"calls_reject_all_{cid}").click().run()
    assert not at.exception, at.exception
    assert {w.value for w in at.segmented_control} == {"Reject"}
    assert at.button(key=f"calls_save_{cid}").label == "Reject all and mark the calls as reviewed"
    at.button(key=f"calls_accept_all_{cid}").click().run()
    n = len(at.segmented_control)
    assert {w.value for w in at.segmented_control} == {"Accept"}
    assert at.button(key=f"calls_save_{cid}").label == f"Save {n} changes as ICP version 1"
