"""A fake Fathom External API v1 at the transport (``httpx.MockTransport``), speaking the real shapes
(developers.fathom.ai; FORMATS.md §D/§H as summarised in ``icp_engine/calls/fathom.py``).

* ``GET /external/v1/meetings``: newest first, cursor paging (``cursor`` -> ``next_cursor``), filters
  ``calendar_invitees_domains[]`` and ``created_after``; ``include_transcript=true`` includes each
  meeting's transcript, otherwise it arrives as ``null`` like every field not asked for; ``limit`` 50
  (as a real page had); ``RateLimit-*`` headers.
* ``GET /external/v1/recordings/{id}/transcript``: ``{"transcript": [...]}`` or 404.
* ``X-Api-Key`` checked (401 otherwise); ``throttle_first`` answers that many requests first with a
  429 and an empty ``text/html`` body, as Fathom does.

The dashboard cannot be handed a transport, so :func:`install` is an ``ICP_WIRING_HOOK``
(``tests.fakes.fake_fathom:install``): it puts the process-wide :data:`FAKE` (the dev meetings of
``tests/fixtures/calls/dev`` plus an internal call) into every new ``Wiring``.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import httpx

DEV = Path(__file__).resolve().parent.parent / "fixtures" / "calls" / "dev"
KEY = "fk-test"


def dev_meeting(name: str) -> dict[str, Any]:
    """A Fathom meeting object of the dev call set (e.g. ``"cobalt-1.json"``)."""
    return json.loads((DEV / name).read_text(encoding="utf-8"))


def internal_meeting() -> dict[str, Any]:
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
    """Callable handler for ``httpx.MockTransport``. ``pages``: lists of meetings, one per page
    (default: two pages of dev meetings, one of which lists no transcript even when asked, so it must
    be fetched from ``/recordings/{id}/transcript``); ``transcripts``: served per recording id
    (default: those of the listed meetings); ``requests``: every request received."""

    def __init__(self, pages: list[list[dict[str, Any]]] | None = None, *,
                 transcripts: dict[int, list[dict[str, Any]]] | None = None, key: str = KEY, throttle_first: int = 0,
                 reset_header: bool = True):
        if pages is None:
            cobalt1 = dev_meeting("cobalt-1.json")
            transcripts = {cobalt1["recording_id"]: cobalt1["transcript"]}
            pages = [[dev_meeting("cobalt-2.json"), dev_meeting("harbourline-1.json")],
                     [dict(cobalt1, transcript=None), internal_meeting()]]
        self.key = key
        self.throttle_first = throttle_first
        self.reset_header = reset_header
        self.requests: list[httpx.Request] = []
        # opaque cursors like Fathom's (base64 JSON): page 2 is "eyJjIjoiMiJ9"
        cursors: list[str | None] = [None] + [base64.b64encode(json.dumps({"c": str(i + 1)}, separators=(",", ":"))
                                                               .encode()).decode() for i in range(1, len(pages))]
        self.pages = {cursors[i]: (pages[i], cursors[i + 1] if i + 1 < len(pages) else None) for i in range(len(pages))}
        self.transcripts = {m["recording_id"]: m["transcript"] for p in pages for m in p
                            if isinstance(m.get("transcript"), list)}
        self.transcripts.update(transcripts or {})

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
            if q.get("cursor") not in self.pages:
                return httpx.Response(400, json={"error": "invalid cursor"})
            items, nxt = self.pages[q.get("cursor")]
            doms = set(q.get_list("calendar_invitees_domains[]"))
            after = q.get("created_after")
            sel = [m for m in items
                   if (not doms or doms & {i.get("email_domain") for i in m["calendar_invitees"]})
                   and (not after or m["created_at"] >= after)]
            if q.get("include_transcript") != "true":
                sel = [{**m, "transcript": None} for m in sel]
            return httpx.Response(200, json={"items": sel, "limit": 50, "next_cursor": nxt},
                                  headers={"RateLimit-Limit": "60", "RateLimit-Remaining": "57", "RateLimit-Reset": "41"})
        if path.startswith("/external/v1/recordings/") and path.endswith("/transcript"):
            rid = int(path.split("/")[-2])
            if rid not in self.transcripts:
                return httpx.Response(404, json={"error": "Not found"})
            return httpx.Response(200, json={"transcript": self.transcripts[rid]})
        return httpx.Response(404, json={"error": "Not found"})

    def paths(self) -> list[str]:
        """Paths requested so far, in order."""
        return [r.url.path for r in self.requests]


#: The fake every :func:`install`-ed wiring of this process talks to (tests may replace or inspect it).
FAKE = FakeFathom()


def install(wiring: Any) -> None:
    """``ICP_WIRING_HOOK`` entry point: Fathom requests of this wiring go to :data:`FAKE`."""
    wiring.transports["fathom"] = httpx.MockTransport(lambda request: FAKE(request))
