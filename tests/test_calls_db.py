"""Discovery calls kept in Postgres (``engine.calls``, table ``fathom_calls``, ``clients.email_domains``)
on the real test database: import, duplicates, accumulation across every stored call, the review
diff, accepting into a new ICP version, leaving calls out, failed readings, Fathom meetings faked
at the transport, and the wiring hook that lets the dashboard use a faked Fathom."""

from __future__ import annotations

import httpx
import pytest
import sqlalchemy as sa

from icp_engine import CallStatus, InvalidInput, TranscriptError
from icp_engine.db import schema
from icp_engine.domain import ICP
from icp_engine.engine import Engine
from icp_engine.wiring import Wiring
from tests.conftest import FIXTURES
from tests.fakes.fake_fathom import KEY, FakeFathom

DEV = FIXTURES / "calls" / "dev"


def _file(name: str) -> tuple[str, bytes]:
    return name, (DEV / name).read_bytes()


def _rows(db) -> list[dict]:
    with db.connect() as conn:
        return [dict(r) for r in conn.execute(sa.select(schema.fathom_calls).order_by(schema.fathom_calls.c.id)).mappings()]


@pytest.fixture()
def eng(settings, db):
    return Engine(settings, db=db)


@pytest.fixture()
def arclight(eng):
    c = eng.create_client("Arclight Security")
    eng.save_icp(c["id"], ICP(name="v1", target_titles=["CISO"], target_industries=["E-commerce"]), author="Dana")
    eng.calls.set_email_domains(c["id"], "arclight.example")
    return c


def test_email_domains_are_normalised_and_checked(eng):
    c = eng.create_client("Acme")
    assert eng.calls.email_domains(c["id"]) == []
    assert eng.calls.set_email_domains(c["id"], " @Acme.com, dana@acme.co.uk;acme.com ") == ["acme.com", "acme.co.uk"]
    assert eng.get_client(c["id"])["email_domains"] == ["acme.com", "acme.co.uk"]
    with pytest.raises(InvalidInput, match="not an e-mail domain"):
        eng.calls.set_email_domains(c["id"], "acme com!")
    assert eng.calls.email_domains(c["id"]) == ["acme.com", "acme.co.uk"]  # nothing half-written
    assert eng.calls.set_email_domains(c["id"], "") == []


def test_import_stores_the_call_with_its_reading(eng, arclight, db):
    rep = eng.calls.import_files(arclight["id"], [_file("arclight-1.json"), _file("arclight-2.txt")], author="Dana")
    assert len(rep.read) == 2 and not rep.failed and not rep.skipped, rep
    rows = _rows(db)
    assert [r["call_key"] for r in rows][0] == "fathom:205001236"
    assert rows[1]["call_key"].startswith("file:") and len(rows[1]["call_key"]) == 5 + 16
    first = rows[0]
    assert first["source"] == "fathom-json" and first["recording_id"] == 205001236
    assert first["title"] == "Arclight Security - targeting" and str(first["call_date"]) == "2025-09-25"
    assert first["status"] == CallStatus.PROCESSED and first["error"] is None
    assert first["extractor"] == "offline" and first["imported_by"] == "Dana"
    assert first["applied_icp_version_id"] is None
    assert "arclight.example" in first["invitee_domains"]
    roles = {u["speaker"]: u["role"] for u in first["utterances"]}
    assert roles["Nadia Haddad"] == "client" and roles["Leo Marsh"] == "agency"
    assert {f["value"] for f in first["findings"] if f["field"] == "target_titles"} >= {"CTO", "Head of IT"}
    assert all(f["call_id"] == "fathom:205001236" for f in first["findings"])
    assert rows[1]["source"] == "fathom-text" and len(rows[1]["content_sha256"]) == 64


def test_the_same_call_is_not_imported_twice(eng, arclight, db):
    eng.calls.import_files(arclight["id"], [_file("arclight-2.txt")], author="Dana")
    # same text under another file name: found by its content
    data = (DEV / "arclight-2.txt").read_bytes()
    previews = eng.calls.preview_files(arclight["id"], [("copy of the call.txt", data), _file("arclight-1.json")])
    assert [p.ok for p in previews] == [False, True]
    assert previews[0].already.startswith("Arclight - revisit ICP")
    assert previews[0].summary()["status"].startswith("Already read")
    rep = eng.calls.import_files(arclight["id"], [("copy of the call.txt", data)], author="Dana")
    assert rep.read == [] and rep.skipped and "already read" in rep.skipped[0][1]
    # two copies in one upload: the second is marked, not stored
    other = eng.create_client("Other")
    previews = eng.calls.preview_files(other["id"], [("a.txt", data), ("b.txt", data)])
    assert [p.ok for p in previews] == [True, False] and "a.txt" in previews[1].already
    assert len(_rows(db)) == 1


def test_unreadable_files_are_reported_and_nothing_is_stored(eng, arclight, db):
    previews = eng.calls.preview_files(arclight["id"], [("notes.pdf", b"%PDF-1.4 ..."), ("empty.txt", b"  ")])
    assert [p.call for p in previews] == [None, None]
    assert "PDF" in previews[0].error and "empty" in previews[1].error
    rep = eng.calls.import_files(arclight["id"], [("notes.pdf", b"%PDF-1.4 ...")], author="Dana")
    assert rep.read == [] and rep.skipped[0][0] == "notes.pdf"
    assert _rows(db) == []
    assert issubclass(TranscriptError, InvalidInput)


def test_a_new_call_expands_and_revises_the_proposal(eng, arclight):
    cid = arclight["id"]
    eng.calls.import_files(cid, [_file("arclight-1.json")], author="Dana")
    first = eng.calls.review(cid)
    added = {(c.field, c.value) for c in first.diff.added}
    assert ("target_titles", "CTO") in added and ("company_sizes", "51-200") in added
    assert not first.diff.removed
    eng.calls.import_files(cid, [_file("arclight-2.txt")], author="Dana")
    second = eng.calls.review(cid)
    # the first call's items are still there (expanded, not replaced) ...
    assert ("target_titles", "CTO") in {(c.field, c.value) for c in second.diff.added}
    # ... the second call adds Law Practice and takes back E-commerce (in the ICP) and 51-200
    assert ("target_industries", "Law Practice") in {(c.field, c.value) for c in second.diff.added}
    removed = {(c.field, c.value): c for c in second.diff.removed}
    assert ("target_industries", "E-commerce") in removed
    assert removed[("target_industries", "E-commerce")].reason.startswith("taken back in Arclight - revisit ICP")
    assert ("company_sizes", "51-200") not in {(c.field, c.value) for c in second.diff.added}
    assert "51-200" in [i.value for i in second.retracted]  # taken back, not in the ICP: shown as such
    assert len(second.proposal.calls) == 2 and second.new_calls == [r["label"] for r in second.used_calls]
    # every change carries its quotes with call, timestamp and speaker
    ev = removed[("target_industries", "E-commerce")].evidence[0]
    assert ev["quote"] == "Actually, forget e-commerce." and ev["timestamp"] == "0:07"
    assert ev["speaker"] == "Nadia Haddad" and ev["call"].startswith("Arclight - revisit ICP")


def test_accept_saves_a_version_naming_the_calls_and_records_them(eng, arclight, db):
    cid = arclight["id"]
    eng.calls.import_files(cid, [_file("arclight-1.json"), _file("arclight-2.txt")], author="Dana")
    rv = eng.calls.review(cid)
    cto = next(c for c in rv.diff.added if c.value == "CTO")
    accepted = [i for i in rv.diff.default_ids() if i != cto.id]
    res = eng.calls.accept(cid, accepted, author="Dana", icp_version_id=rv.icp_version_id)
    assert res.created and res.version["version"] == 2 and res.version["created_by"] == "Dana"
    assert res.note.startswith("From calls: Arclight Security - targeting (2025-09-25); Arclight - revisit ICP")
    assert "Removed industries: E-commerce" in res.note and "CTO" not in res.note
    row, icp = eng.current_icp(cid)
    assert row["change_note"] == res.note
    assert "CTO" not in icp.target_titles and "Head of IT" in icp.target_titles and "CISO" in icp.target_titles
    assert "E-commerce" not in icp.target_industries and "Law Practice" in icp.target_industries
    assert {r["applied_icp_version_id"] for r in _rows(db)} == {row["id"]}
    # the rejected item comes back unticked: every call behind it was reviewed
    again = eng.calls.review(cid)
    cto2 = next(c for c in again.diff.added if c.value == "CTO")
    assert cto2.default is False and "earlier review" in cto2.reason
    assert again.diff.default_ids() == [] and again.new_calls == []


def test_accept_refuses_a_stale_review_and_unknown_changes(eng, arclight):
    cid = arclight["id"]
    eng.calls.import_files(cid, [_file("arclight-1.json")], author="Dana")
    rv = eng.calls.review(cid)
    eng.save_icp(cid, ICP(name="edited", target_titles=["CISO", "CIO"]), author="Sam")  # someone saved meanwhile
    with pytest.raises(InvalidInput, match="ICP changed since"):
        eng.calls.accept(cid, rv.diff.default_ids(), author="Dana", icp_version_id=rv.icp_version_id)
    assert eng.current_icp(cid)[0]["version"] == 2
    rv = eng.calls.review(cid)
    with pytest.raises(InvalidInput, match="no longer proposed"):
        eng.calls.accept(cid, ["added:target_titles:nobody"], author="Dana", icp_version_id=rv.icp_version_id)
    assert eng.current_icp(cid)[0]["version"] == 2


def test_rejecting_everything_saves_no_version_but_marks_the_calls(eng, arclight, db):
    cid = arclight["id"]
    eng.calls.import_files(cid, [_file("arclight-1.json")], author="Dana")
    rv = eng.calls.review(cid)
    res = eng.calls.accept(cid, [], author="Dana", icp_version_id=rv.icp_version_id)
    assert not res.created and res.version["version"] == 1
    assert eng.current_icp(cid)[0]["version"] == 1
    assert _rows(db)[0]["applied_icp_version_id"] == rv.icp_version_id
    # a client without an ICP: the first accepted change makes version 1
    c = eng.create_client("Cobalt Ledger")
    eng.calls.import_files(c["id"], [_file("cobalt-1.json")], author="Dana")
    rv = eng.calls.review(c["id"])
    assert rv.icp_version is None and rv.diff.unchanged == []
    res = eng.calls.accept(c["id"], rv.diff.default_ids(), author="Dana", icp_version_id=None)
    assert res.created and res.version["version"] == 1 and res.version["icp"]["name"] == "Cobalt Ledger ICP"


def test_a_call_left_out_no_longer_counts_and_can_be_put_back(eng, arclight):
    cid = arclight["id"]
    eng.calls.import_files(cid, [_file("arclight-1.json"), _file("arclight-2.txt")], author="Dana")
    second = next(c for c in eng.calls.list_calls(cid) if c["source"] == "fathom-text")
    assert eng.calls.leave_out(cid, second["id"]) is True
    assert eng.calls.leave_out(cid, second["id"]) is False
    rv = eng.calls.review(cid)
    assert not rv.diff.removed and len(rv.used_calls) == 1
    assert [c["status"] for c in rv.calls] == [CallStatus.PROCESSED, CallStatus.IGNORED]
    other = eng.create_client("Other")
    assert eng.calls.put_back(other["id"], second["id"]) is False  # not that client's call
    assert eng.calls.put_back(cid, second["id"]) is True
    assert {c.value for c in eng.calls.review(cid).diff.removed} == {"E-commerce"}


def test_a_failed_reading_is_kept_and_can_be_read_again(settings, db):
    def down(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, json={"error": {"message": "overloaded"}})

    s = settings.model_copy(update={"openai_api_key": "sk-test", "http_max_attempts": 1})
    eng = Engine(s, db=db, wiring=Wiring(s, db, transports={"openai": httpx.MockTransport(down)}))
    c = eng.create_client("Arclight Security")
    rep = eng.calls.import_files(c["id"], [_file("arclight-1.json")], author="Dana")  # OpenAI by default with a key
    assert rep.read == [] and len(rep.failed) == 1 and "503" in rep.failed[0][1]
    row = _rows(db)[0]
    assert row["status"] == CallStatus.FAILED and "503" in row["error"] and row["findings"] == []
    assert row["extractor"].startswith("openai") and len(row["utterances"]) == 12  # transcript kept
    assert eng.calls.review(c["id"]).used_calls == []
    rep = eng.calls.reread(c["id"], extractor="offline")
    assert len(rep.read) == 1 and not rep.failed
    row = _rows(db)[0]
    assert row["status"] == CallStatus.PROCESSED and row["error"] is None and row["extractor"] == "offline"
    assert eng.calls.review(c["id"]).diff.added


COPIED = """Discovery call - March 3
VIEW RECORDING - 2 mins (No highlights): https://fathom.video/share/abc123

---

0:02 - Dana Whitcombe (Quillhouse Content)
  Who do you want to reach with the posts?

0:06 - Priya Raman (Northwind Capital)
  Heads of Treasury at logistics companies, two hundred to a thousand staff.

0:15 - Dana Whitcombe (Quillhouse Content)
  Anyone you want to keep out?

0:18 - Priya Raman (Northwind Capital)
  Students, please.
"""


def test_rereading_uses_the_new_email_domains(eng, db):
    c = eng.create_client("Acme Holdings")  # the name the agency uses is not the company label on the call
    eng.calls.import_files(c["id"], [("discovery.txt", COPIED.encode())], author="Dana")
    before = {u["speaker"]: u["role"] for u in _rows(db)[0]["utterances"]}
    assert before["Priya Raman"] == "unknown"
    eng.calls.set_email_domains(c["id"], "northwind.example")
    rep = eng.calls.reread(c["id"])
    assert len(rep.read) == 1
    row = _rows(db)[0]
    assert {u["speaker"]: u["role"] for u in row["utterances"]}["Priya Raman"] == "client"
    assert {f["role"] for f in row["findings"] if f["speaker"] == "Priya Raman"} == {"client"}
    assert row["read_at"] > row["imported_at"]


def _fathom_engine(settings, db, fake: FakeFathom) -> Engine:
    s = settings.model_copy(update={"fathom_api_key": KEY, "fathom_min_interval_s": 0.0})
    return Engine(s, db=db, wiring=Wiring(s, db, transports={"fathom": httpx.MockTransport(fake)}))


def test_fathom_meetings_by_invitee_domain_and_import(settings, db):
    fake = FakeFathom()
    eng = _fathom_engine(settings, db, fake)
    c = eng.create_client("Cobalt Ledger")
    with pytest.raises(InvalidInput, match="e-mail domains"):
        eng.calls.fathom_meetings(c["id"])
    assert eng.calls.suggest_domains(c["id"]) == ["cobaltledger.example"]
    eng.calls.set_email_domains(c["id"], eng.calls.suggest_domains(c["id"]))
    fake.requests.clear()
    meetings = eng.calls.fathom_meetings(c["id"])
    assert [m.summary.recording_id for m in meetings] == [212908455, 210334871]
    q = fake.requests[0].url.params
    assert q.get_list("calendar_invitees_domains[]") == ["cobaltledger.example"] and q.get("include_transcript") is None
    assert all(m.meeting["transcript"] is None for m in meetings) and meetings[0].row()["client_people"] == "Maya Thornton"
    rep = eng.calls.import_fathom_meetings(c["id"], [m.meeting for m in meetings], author="Dana")
    assert len(rep.read) == 2, rep
    assert sorted(p for p in fake.paths() if p.endswith("/transcript")) == [
        "/external/v1/recordings/210334871/transcript", "/external/v1/recordings/212908455/transcript"]
    rows = _rows(db)
    assert {r["call_key"] for r in rows} == {"fathom:212908455", "fathom:210334871"}
    assert all(r["utterances"] and r["findings"] for r in rows)
    # listed again: both marked as read; importing them again fetches nothing
    again = eng.calls.fathom_meetings(c["id"])
    assert all(m.already for m in again)
    fake.requests.clear()
    rep = eng.calls.import_fathom_meetings(c["id"], [m.meeting for m in again], author="Dana")
    assert rep.read == [] and len(rep.skipped) == 2 and not any(p.endswith("/transcript") for p in fake.paths())
    rv = eng.calls.review(c["id"])
    assert "Head of Procurement" in {ch.value for ch in rv.diff.added}  # from the second meeting


def test_a_meeting_whose_transcript_fathom_does_not_send_is_skipped(settings, db):
    fake = FakeFathom()
    fake.transcripts.pop(210334871)
    eng = _fathom_engine(settings, db, fake)
    c = eng.create_client("Cobalt Ledger")
    meetings = eng.calls.fathom_meetings(c["id"], domains=["cobaltledger.example"])
    rep = eng.calls.import_fathom_meetings(c["id"], [m.meeting for m in meetings], author="Dana")
    assert len(rep.read) == 1 and rep.skipped[0][0] == "Cobalt Ledger ICP call" and "404" in rep.skipped[0][1]
    assert [r["recording_id"] for r in _rows(db)] == [212908455]


def test_fathom_needs_a_key(eng):
    c = eng.create_client("Cobalt Ledger")
    assert eng.calls.fathom_available() is False
    with pytest.raises(InvalidInput, match="FATHOM_API_KEY"):
        eng.calls.fathom_meetings(c["id"], domains=["cobaltledger.example"])


def test_the_wiring_hook_installs_transports(settings):
    s = settings.model_copy(update={"icp_wiring_hook": "tests.fakes.fake_fathom:install", "fathom_api_key": KEY,
                                    "fathom_min_interval_s": 0.0})
    w = Wiring(s)
    assert isinstance(w.transports["fathom"], httpx.MockTransport)
    assert [m["recording_id"] for m in w.fathom().iter_meetings(include_transcript=False)][:1] == [212908455]
    assert w.fathom() is w.fathom()  # one client per process: its request spacing holds for every session
    with pytest.raises(InvalidInput, match="cannot be loaded"):
        Wiring(settings.model_copy(update={"icp_wiring_hook": "tests.fakes.nothing_here:install"}))


def test_deleting_a_client_deletes_its_calls(eng, arclight, db):
    eng.calls.import_files(arclight["id"], [_file("arclight-1.json")], author="Dana")
    with db.begin() as conn:
        conn.execute(schema.clients.delete().where(schema.clients.c.id == arclight["id"]))
    assert _rows(db) == []
