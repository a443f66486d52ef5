"""Fathom client faked at the transport: paging, filters, 429 with an empty HTML body, 401, nulls."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from icp_engine.calls.fathom import (
    FathomAPI,
    FathomError,
    FathomFolder,
    client_meetings,
    meeting_to_call,
    suggest_client_domains,
    summarize_meeting,
)
from icp_engine.config import Settings
from tests.conftest import FIXTURES
from tests.fakes.fake_fathom import FakeFathom, dev_meeting, internal_meeting

DEV = FIXTURES / "calls" / "dev"


_meeting = dev_meeting
_internal_meeting = internal_meeting


def _api(fake: FakeFathom, **kw) -> FathomAPI:
    return FathomAPI(Settings(fathom_api_key="fk-test"), transport=httpx.MockTransport(fake), min_interval_s=0,
                     **kw)


def test_pages_through_every_meeting_with_the_cursor():
    fake = FakeFathom()
    api = _api(fake)
    meetings = list(api.iter_meetings())
    assert [m["recording_id"] for m in meetings] == [212908455, 204118811, 210334871, 220000001]
    assert [r.url.params.get("cursor") for r in fake.requests] == [None, "eyJjIjoiMiJ9"]
    assert all(r.headers["x-api-key"] == "fk-test" for r in fake.requests)
    assert api.requests_sent == 2


def test_filters_are_sent_as_fathom_expects():
    fake = FakeFathom()
    api = _api(fake)
    list(api.iter_meetings(created_after="2025-10-01", invitee_domains=["CobaltLedger.example", "@x.example"]))
    q = fake.requests[0].url.params
    assert q.get_list("calendar_invitees_domains[]") == ["cobaltledger.example", "x.example"]
    assert q.get("created_after") == "2025-10-01T00:00:00Z"


def test_client_meetings_match_invitee_domain_and_fetch_missing_transcripts():
    fake = FakeFathom()
    api = _api(fake)
    rows = client_meetings(api, ["cobaltledger.example"])
    assert [s.recording_id for s, _ in rows] == [212908455, 210334871]
    first, meeting = rows[0]
    assert first.client_invitees == ["Maya Thornton"] and first.has_transcript and first.minutes == 1
    second, m2 = rows[1]
    assert not second.has_transcript
    call = meeting_to_call(api, m2)  # fetched from /recordings/{id}/transcript
    assert any(r.url.path.endswith("/recordings/210334871/transcript") for r in fake.requests)
    assert call.id == "fathom:210334871" and call.utterances[1].email == "maya@cobaltledger.example"
    assert call.date == "2025-09-10"


def test_429_with_empty_html_body_is_retried(monkeypatch):
    fake = FakeFathom(throttle_first=2)
    api = _api(fake)
    meetings = list(api.iter_meetings(invitee_domains=["harbourline.example"]))
    assert [m["recording_id"] for m in meetings] == [204118811]
    assert len(fake.requests) == 4  # 2 x 429, then page 1 and page 2


def test_429_without_any_header_backs_off_and_then_gives_a_clear_error():
    fake = FakeFathom(throttle_first=10, reset_header=False)
    api = _api(fake, max_attempts=2)
    with pytest.raises(FathomError, match="429") as exc:
        list(api.iter_meetings())
    assert exc.value.status == 429
    assert len(fake.requests) == 2


def test_rejected_key_says_so():
    fake = FakeFathom(key="another-key")
    with pytest.raises(FathomError, match="rejected the API key") as exc:
        list(_api(fake).iter_meetings())
    assert exc.value.status == 401
    assert len(fake.requests) == 1  # a 401 is not retried


def test_missing_recording_and_non_json_answers():
    fake = FakeFathom()
    api = _api(fake)
    with pytest.raises(FathomError, match="404"):
        api.transcript(999)

    def html(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/html"}, content=b"<html>maintenance</html>")

    broken = FathomAPI(api_key="k", transport=httpx.MockTransport(html), min_interval_s=0)
    with pytest.raises(FathomError, match="not JSON"):
        list(broken.iter_meetings())


def test_requests_are_spaced_and_rate_limit_remaining_zero_waits():
    slept: list[float] = []
    calls = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        nxt = "c2" if calls["n"] == 1 else None
        return httpx.Response(200, json={"items": [], "limit": 50, "next_cursor": nxt},
                              headers={"RateLimit-Remaining": "0", "RateLimit-Reset": "7"})

    api = FathomAPI(api_key="k", transport=httpx.MockTransport(handler), min_interval_s=1.0, sleep=slept.append)
    assert list(api.iter_meetings()) == []
    assert len(slept) == 1 and 6.0 < slept[0] <= 7.0


def test_repeated_cursor_stops_paging():
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"items": [], "limit": 50, "next_cursor": "same"})

    api = FathomAPI(api_key="k", transport=httpx.MockTransport(handler), min_interval_s=0)
    with pytest.raises(FathomError, match="same next_cursor"):
        list(api.iter_meetings())


def test_nulls_unknown_language_and_odd_speakers_are_tolerated():
    m = _internal_meeting()
    s = summarize_meeting(m, ["quillhouse.example"])
    assert s.language == "unknown" and not s.external and s.minutes == 30 and s.client_invitees == ["dana@quillhouse.example"]
    call = meeting_to_call(FathomFolder(DEV), m)
    assert call.utterances[0].speaker == "Conference Room B" and call.utterances[0].email is None
    assert call.language == "unknown" and call.url == "https://fathom.video/calls/220000001"


def test_api_needs_a_key():
    with pytest.raises(ValueError, match="FATHOM_API_KEY"):
        FathomAPI(Settings(fathom_api_key=None))


def test_offline_folder_behaves_like_the_api(tmp_path: Path):
    page = {"items": [_meeting("lumenvale-1.json"), _internal_meeting()], "limit": 50, "next_cursor": None}
    (tmp_path / "page.json").write_text(json.dumps(page))
    (tmp_path / "single.json").write_text(json.dumps(_meeting("arclight-1.json")))
    (tmp_path / "notes.json").write_text("{not json")
    folder = FathomFolder(tmp_path)
    assert [m["recording_id"] for m in folder.iter_meetings()] == [220000001, 205001236, 206225109]
    assert [m["recording_id"] for m in folder.iter_meetings(invitee_domains=["lumenvale.example"])] == [206225109]
    assert [m["recording_id"] for m in folder.iter_meetings(created_after="2025-09-20")] == [220000001, 205001236]
    assert folder.skipped and folder.skipped[0][0] == "notes.json"
    assert folder.transcript(205001236)[0]["speaker"]["display_name"] == "Leo Marsh"
    assert suggest_client_domains(folder.iter_meetings(), "Arclight Security") == ["arclight.example"]
