"""Fathom meetings: the real External API and an offline folder, behind one small interface.

Fathom External API v1 (developers.fathom.ai; FORMATS.md §D and §H), as used here:

* base ``https://api.fathom.ai/external/v1``, header ``X-Api-Key: <key>``;
* ``GET /meetings`` newest first, query ``include_transcript=true``, ``cursor``,
  ``created_after`` (ISO-8601), ``calendar_invitees_domains[]`` (repeated) ->
  ``{"items": [Meeting], "limit": 10 (a real page had 50), "next_cursor": str | null}``;
  page by passing ``next_cursor`` back as ``cursor`` until it is null;
* ``GET /recordings/{recording_id}/transcript`` -> ``{"transcript": [{speaker{display_name,
  matched_calendar_invitee_email}, text, timestamp "HH:MM:SS"}]}``;
* about 60 requests per minute per account; a 429 can come as ``text/html`` with an empty body,
  with or without ``RateLimit-Reset``; fields not requested arrive as ``null``;
  ``transcript_language`` can be ``"unknown"``; unmatched speakers have odd display names and a
  ``null`` e-mail.

:class:`FathomAPI` spaces requests (1 s apart by default, and waits out ``RateLimit-Remaining: 0``)
and retries 429/5xx with the project's policy (:func:`icp_engine.http.send`: tenacity, honouring
``Retry-After``/``RateLimit-Reset``). :class:`FathomFolder` reads meeting JSON files (single items
or saved list pages) from a folder and applies the same filters, for work without a key.
:func:`client_meetings` lists a client's meetings matched by invitee e-mail domain.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Protocol, Sequence

import httpx
from rapidfuzz import fuzz

from ..http import ServiceError, make_client, send
from .model import Call
from .parse import TranscriptError, call_from_fathom_meeting
from .roles import domain_stem

__all__ = ["FathomSource", "FathomAPI", "FathomFolder", "FathomError", "MeetingSummary", "client_meetings",
           "summarize_meeting", "meeting_to_call", "suggest_client_domains", "get_fathom_source"]

DEFAULT_BASE_URL = "https://api.fathom.ai/external/v1"


class FathomError(ServiceError):
    """Fathom could not be used: a rejected key, a missing recording, an unreadable answer."""

    def __init__(self, message: str, status: int | None = None, body: str = ""):
        super().__init__("fathom", message, status, body)


class FathomSource(Protocol):
    """Where meetings come from (:class:`FathomAPI` or :class:`FathomFolder`)."""

    name: str

    def iter_meetings(self, *, created_after: str | dt.date | None = None, invitee_domains: Sequence[str] = (),
                      include_transcript: bool = True) -> Iterator[dict[str, Any]]:
        """Meeting objects, newest first, filtered like ``GET /meetings``."""
        ...

    def transcript(self, recording_id: int) -> list[dict[str, Any]]:
        """Transcript items of one recording."""
        ...


def _iso(value: str | dt.date | dt.datetime | None) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        v = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return v.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, dt.date):
        return f"{value.isoformat()}T00:00:00Z"
    s = str(value).strip()
    try:
        if len(s) == 10:
            return f"{dt.date.fromisoformat(s).isoformat()}T00:00:00Z"
        return _iso(dt.datetime.fromisoformat(s.replace("Z", "+00:00")))
    except ValueError as exc:
        raise ValueError(f"not an ISO date: {value!r} (use YYYY-MM-DD)") from exc


def _domains_of(meeting: dict[str, Any]) -> set[str]:
    out = set()
    for inv in meeting.get("calendar_invitees") or []:
        if not isinstance(inv, dict):
            continue
        d = inv.get("email_domain") or ((inv.get("email") or "").split("@", 1)[1] if "@" in (inv.get("email") or "") else None)
        if d:
            out.add(d.lower())
    return out


class FathomAPI:
    """The Fathom External API over HTTP.

    ``FathomAPI(settings)`` reads ``fathom_api_key``, ``fathom_base_url``, ``http_timeout_s`` and
    ``http_max_attempts``; keyword arguments override them. ``min_interval_s`` spaces requests
    (default 1.0 s = 60 per minute); ``sleep`` is injectable for tests; ``transport`` is for tests
    (``httpx.MockTransport``). Raises ``ValueError`` without a key. Counters: ``requests_sent``.
    """

    name = "fathom"

    def __init__(self, settings: Any = None, *, api_key: str | None = None, base_url: str | None = None,
                 timeout_s: float | None = None, max_attempts: int | None = None, min_interval_s: float = 1.0,
                 max_pages: int = 500, transport: httpx.BaseTransport | None = None,
                 sleep: Callable[[float], None] = time.sleep):
        key = api_key or getattr(settings, "fathom_api_key", None)
        if not key:
            raise ValueError("the Fathom API needs FATHOM_API_KEY (Fathom settings -> API Access)")
        base = (base_url or getattr(settings, "fathom_base_url", None) or DEFAULT_BASE_URL).rstrip("/")
        self._client = make_client(base, headers={"X-Api-Key": key, "Accept": "application/json"},
                                   timeout_s=float(timeout_s or getattr(settings, "http_timeout_s", 60.0) or 60.0),
                                   transport=transport)
        self.max_attempts = int(max_attempts or getattr(settings, "http_max_attempts", 5) or 5)
        self.min_interval_s = float(min_interval_s)
        self.max_pages = int(max_pages)
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_at = 0.0
        self.requests_sent = 0

    def _get(self, path: str, params: list[tuple[str, str]] | None = None) -> dict[str, Any]:
        with self._lock:
            wait = self._next_at - time.monotonic()
            if wait > 0:
                self._sleep(wait)
            try:
                resp = send(self._client, "GET", path, service="fathom", max_attempts=self.max_attempts,
                            max_backoff_s=30.0, params=params)
            except ServiceError as exc:
                if exc.status in (401, 403):
                    raise FathomError(f"Fathom rejected the API key (HTTP {exc.status}); check FATHOM_API_KEY",
                                      exc.status, exc.body) from exc
                if exc.status == 404:
                    raise FathomError(f"Fathom has no {path} (HTTP 404)", 404, exc.body) from exc
                if exc.status == 429:
                    raise FathomError("Fathom kept answering 429 (rate limit, about 60 requests per minute); "
                                      "try again in a minute", 429, exc.body) from exc
                raise
            finally:
                self.requests_sent += 1
                self._next_at = time.monotonic() + self.min_interval_s
            remaining = resp.headers.get("RateLimit-Remaining")
            if remaining is not None and remaining.strip() == "0":
                try:
                    self._next_at = max(self._next_at, time.monotonic() + float(resp.headers.get("RateLimit-Reset", "60")))
                except ValueError:
                    pass
        try:
            data = resp.json()
        except ValueError as exc:
            ctype = resp.headers.get("content-type", "")
            raise FathomError(f"Fathom answered {path} with {ctype or 'no content type'}, not JSON",
                              resp.status_code, resp.text[:500]) from exc
        if not isinstance(data, dict):
            raise FathomError(f"Fathom answered {path} with JSON that is not an object", resp.status_code, resp.text[:500])
        return data

    def iter_meetings(self, *, created_after: str | dt.date | None = None, invitee_domains: Sequence[str] = (),
                      include_transcript: bool = True) -> Iterator[dict[str, Any]]:
        """Every meeting page by page (``cursor`` -> ``next_cursor``); raises :class:`FathomError`."""
        base: list[tuple[str, str]] = []
        if include_transcript:
            base.append(("include_transcript", "true"))
        after = _iso(created_after)
        if after:
            base.append(("created_after", after))
        for d in invitee_domains:
            if d:
                base.append(("calendar_invitees_domains[]", d.lower().lstrip("@")))
        cursor: str | None = None
        seen: set[str] = set()
        for _ in range(self.max_pages):
            params = base + ([("cursor", cursor)] if cursor else [])
            page = self._get("/meetings", params)
            items = page.get("items")
            if items is None:
                items = []
            if not isinstance(items, list):
                raise FathomError("Fathom /meetings answered without an 'items' list")
            for m in items:
                if isinstance(m, dict):
                    yield m
            cursor = page.get("next_cursor") or None
            if not cursor:
                return
            if cursor in seen:
                raise FathomError("Fathom returned the same next_cursor twice; stopped paging")
            seen.add(cursor)
        raise FathomError(f"stopped after {self.max_pages} pages of meetings; narrow with a start date")

    def transcript(self, recording_id: int) -> list[dict[str, Any]]:
        """``GET /recordings/{id}/transcript`` items; raises :class:`FathomError`."""
        data = self._get(f"/recordings/{int(recording_id)}/transcript")
        items = data.get("transcript")
        if not isinstance(items, list):
            raise FathomError(f"recording {recording_id}: Fathom sent no transcript")
        return items

    def close(self) -> None:
        self._client.close()


class FathomFolder:
    """Meetings from a folder of JSON files (offline): each file a Meeting object, a list page
    ``{"items": [...]}`` or a list of meetings. Filters behave like the API's. Files that are not
    JSON meetings are skipped (``skipped`` lists them with the reason)."""

    name = "fathom-folder"

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise ValueError(f"Fathom folder not found: {self.folder}")
        self.skipped: list[tuple[str, str]] = []

    def _all(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        self.skipped = []
        for path in sorted(self.folder.glob("*.json")):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                self.skipped.append((path.name, str(exc)))
                continue
            items = data.get("items") if isinstance(data, dict) and "items" in data else data
            items = items if isinstance(items, list) else [items]
            got = [m for m in items if isinstance(m, dict) and "recording_id" in m]
            if not got:
                self.skipped.append((path.name, "no Fathom meeting in the file"))
            out.extend(got)
        out.sort(key=lambda m: str(m.get("created_at") or m.get("recording_start_time") or ""), reverse=True)
        return out

    def iter_meetings(self, *, created_after: str | dt.date | None = None, invitee_domains: Sequence[str] = (),
                      include_transcript: bool = True) -> Iterator[dict[str, Any]]:
        after = _iso(created_after)
        doms = {d.lower().lstrip("@") for d in invitee_domains if d}
        for m in self._all():
            if after and str(m.get("created_at") or "") < after:
                continue
            if doms and not (_domains_of(m) & doms):
                continue
            if not include_transcript:
                m = {**m, "transcript": None}
            yield m

    def transcript(self, recording_id: int) -> list[dict[str, Any]]:
        for m in self._all():
            if m.get("recording_id") == recording_id and isinstance(m.get("transcript"), list):
                return m["transcript"]
        raise FathomError(f"recording {recording_id} is not in {self.folder}", 404)


@dataclass
class MeetingSummary:
    """One row of the meeting picker.

    ``date``: ISO date; ``minutes``: recording length; ``client_invitees``: names (or e-mails) of
    invitees on the client's domains; ``domains``: all invitee domains; ``has_transcript``: whether
    the meeting object carries it (else it is fetched on import); ``language``: may be "unknown".
    """

    recording_id: int
    title: str
    date: str | None
    minutes: int | None
    client_invitees: list[str] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)
    has_transcript: bool = False
    url: str | None = None
    language: str | None = None
    external: bool = True

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def summarize_meeting(meeting: dict[str, Any], client_domains: Iterable[str] = ()) -> MeetingSummary:
    """A :class:`MeetingSummary` of one Meeting object (nulls tolerated everywhere)."""
    doms = {d.lower().lstrip("@") for d in client_domains if d}
    minutes = None
    try:
        s = dt.datetime.fromisoformat(str(meeting["recording_start_time"]).replace("Z", "+00:00"))
        e = dt.datetime.fromisoformat(str(meeting["recording_end_time"]).replace("Z", "+00:00"))
        minutes = max(0, round((e - s).total_seconds() / 60))
    except (KeyError, TypeError, ValueError):
        pass
    who = []
    for inv in meeting.get("calendar_invitees") or []:
        if isinstance(inv, dict) and (inv.get("email_domain") or "").lower() in doms:
            who.append(inv.get("name") or inv.get("email") or "?")
    date = None
    for k in ("recording_start_time", "scheduled_start_time", "created_at"):
        if meeting.get(k):
            date = str(meeting[k])[:10]
            break
    return MeetingSummary(
        recording_id=int(meeting.get("recording_id") or 0),
        title=str(meeting.get("title") or meeting.get("meeting_title") or f"Recording {meeting.get('recording_id')}"),
        date=date, minutes=minutes, client_invitees=who, domains=sorted(_domains_of(meeting)),
        has_transcript=isinstance(meeting.get("transcript"), list), url=meeting.get("share_url") or meeting.get("url"),
        language=meeting.get("transcript_language"),
        external=meeting.get("calendar_invitees_domains_type") != "only_internal",
    )


def client_meetings(source: FathomSource, client_domains: Sequence[str], *, since: str | dt.date | None = None,
                    include_transcript: bool = True) -> list[tuple[MeetingSummary, dict[str, Any]]]:
    """The client's meetings, newest first: ``(summary, meeting)`` for every meeting with an invitee
    on one of ``client_domains`` (filtered by Fathom and checked again here), created after ``since``.

    Raises ``ValueError`` without a domain, :class:`FathomError` when Fathom fails.
    """
    doms = [d.lower().lstrip("@") for d in client_domains if d and d.strip()]
    if not doms:
        raise ValueError("give at least one e-mail domain of the client (e.g. acme.com)")
    out = []
    for m in source.iter_meetings(created_after=since, invitee_domains=doms, include_transcript=include_transcript):
        if _domains_of(m) & set(doms):
            out.append((summarize_meeting(m, doms), m))
    return out


def meeting_to_call(source: FathomSource, meeting: dict[str, Any]) -> Call:
    """A :class:`Call` of a meeting; fetches the transcript when the meeting object has none.

    Raises :class:`FathomError` (fetch failed) or :class:`~.parse.TranscriptError` (no text).
    """
    transcript = meeting.get("transcript")
    if not isinstance(transcript, list):
        rid = meeting.get("recording_id")
        if rid is None:
            raise TranscriptError("the meeting has neither a transcript nor a recording_id")
        transcript = source.transcript(int(rid))
    return call_from_fathom_meeting(meeting, transcript=transcript)


def suggest_client_domains(meetings: Iterable[dict[str, Any]], client_name: str, *,
                           agency_domains: Iterable[str] = ()) -> list[str]:
    """External invitee domains that look like the client's name (``"Harbourline Finance"`` ->
    ``harbourline.example``), best first; a starting point the user edits."""
    agency = {d.lower() for d in agency_domains}
    name = "".join(ch for ch in client_name.lower() if ch.isalnum() or ch == " ")
    scores: dict[str, float] = {}
    for m in meetings:
        rec = ((m.get("recorded_by") or {}).get("email_domain") or "").lower()
        for inv in m.get("calendar_invitees") or []:
            if not isinstance(inv, dict) or inv.get("is_external") is False:
                continue
            d = (inv.get("email_domain") or "").lower()
            if not d or d in agency or d == rec:
                continue
            stem = domain_stem(d)
            score = max(fuzz.partial_ratio(stem, name.replace(" ", "")), fuzz.token_set_ratio(stem, name))
            scores[d] = max(scores.get(d, 0.0), score)
    return [d for d, s in sorted(scores.items(), key=lambda kv: -kv[1]) if s >= 80]


def get_fathom_source(settings: Any = None, *, folder: str | Path | None = None, **kwargs: Any) -> FathomSource:
    """:class:`FathomFolder` when ``folder`` is given, else :class:`FathomAPI` (needs FATHOM_API_KEY)."""
    if folder:
        return FathomFolder(folder)
    return FathomAPI(settings, **kwargs)
