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

DEV = FIXTURES / "calls" / "dev"


def _meeting(name: str) -> dict:
    return json.loads((DEV / name).read_text(encoding="utf-8"))


def _internal_meeting() -> dict:
    """An internal call as Fathom sends it when summaries were not asked for (nulls, odd speaker)."""
    return {
        "title": "Quillhouse weekly", "meeting_title": None, "recording_id": 220000001,
        "url": "https://fathom.video/calls/220000001", "share_url": None,
        "created_at": "2025-10-30T09:40:00Z", "scheduled_start_time": None, "scheduled_end_time": None,
        "recording_start_time": "2025-10-30T09:01:00Z", "recording_end_time": "2025-10-30T09:31:30Z",
        "calendar_invitees_domains_type": "only_internal", "transcript_language": "unknown",
        "calendar_invitees": [{"name": None, "email": "dana@quillhouse.example", "email_domain": "quillhouse.example",
                               "is_external": False}],
        "recorded_by": {"name": "Dana Whitcombe", "email": "dana@quillhouse.example",
                        "email_domain": "quillhouse.example", "team": None},
        "transcript": [{"speaker": {"display_name": "Conference Room B", "matched_calendar_invitee_email": None},
                        "text": "Can everyone hear me?", "timestamp": "00:00:02"}],
        "default_summary": None, "action_items": None, "crm_matches": None,
    }


class FakeFathom:
    """Answers like api.fathom.ai: two list pages (limit 50 as seen in a real page), a transcript
    endpoint, optional 429s with an empty text/html body first, and key checking."""

    def __init__(self, *, throttle_first: int = 0, reset_header: bool = True, key: str = "fk-test"):
        self.key = key
        self.throttle_first = throttle_first
        self.reset_header = reset_header
        self.requests: list[httpx.Request] = []
        page1 = [_meeting("cobalt-2.json"), _meeting("harbourline-1.json")]
        no_transcript = dict(_meeting("cobalt-1.json"), transcript=None)
        page2 = [no_transcript, _internal_meeting()]
        self.pages = {None: (page1, "eyJjIjoiMiJ9"), "eyJjIjoiMiJ9": (page2, None)}
        self.transcripts = {210334871: _meeting("cobalt-1.json")["transcript"]}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.headers.get("x-api-key") != self.key:
            return httpx.Response(401, json={"error": "Unauthorized"})
        if self.throttle_first > 0:
            self.throttle_first -= 1
            headers = {"content-type": "text/html"}
            if self.reset_header:
                headers["RateLimit-Reset"] = "0"
            return httpx.Response(429, headers=headers, content=b"")
        path = request.url.path
        if path == "/external/v1/meetings":
            q = request.url.params
            assert q.get("include_transcript") == "true"
            items, nxt = self.pages[q.get("cursor")]
            doms = set(q.get_list("calendar_invitees_domains[]"))
            after = q.get("created_after")
            sel = [m for m in items
                   if (not doms or doms & {i.get("email_domain") for i in m["calendar_invitees"]})
                   and (not after or m["created_at"] >= after)]
            return httpx.Response(200, json={"items": sel, "limit": 50, "next_cursor": nxt},
                                  headers={"RateLimit-Limit": "60", "RateLimit-Remaining": "57", "RateLimit-Reset": "41"})
        if path.startswith("/external/v1/recordings/") and path.endswith("/transcript"):
            rid = int(path.split("/")[-2])
            if rid not in self.transcripts:
                return httpx.Response(404, json={"error": "Not found"})
            return httpx.Response(200, json={"transcript": self.transcripts[rid]})
        return httpx.Response(404, json={"error": "Not found"})


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
