"""Discovery calls of a client, kept in Postgres: import, read, review as a diff, accept.

:class:`CallService` (``engine.calls``) is what the Clients page and ``icp-from-calls --apply``
use. Every call read for a client is stored (table ``fathom_calls``, :mod:`icp_engine.db.calls`)
with its transcript and what the extractor found, and the client's proposal is always the
accumulation (:func:`~icp_engine.calls.accumulate.accumulate`) of **every** stored call that is not
left out, so a new call expands or revises the proposal and never silently replaces it::

    svc = engine.calls
    previews = svc.preview_files(cid, [("call.vtt", data)])        # nothing written
    svc.import_calls(cid, [p.call for p in previews if p.ok], author="Dana")
    meetings = svc.fathom_meetings(cid, since="2025-09-01")       # Fathom, by invitee e-mail domain
    svc.import_fathom_meetings(cid, [m.meeting for m in meetings if ...], author="Dana")
    review = svc.review(cid)                                       # proposal + diff against the ICP
    svc.accept(cid, review.diff.default_ids(), author="Dana",
               icp_version_id=review.icp_version_id)               # a new ICP version naming the calls

A call's key is ``fathom:<recording_id>`` for Fathom meetings (also a Fathom JSON file) and
``file:<first 16 hex of the transcript's sha256>`` otherwise; a call with the key or the text of
a stored one is not imported twice. Extraction failures (the OpenAI extractor's service errors)
store the call as ``failed`` with the reason; :meth:`CallService.reread` tries again.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from dataclasses import field as dc_field
from typing import Any

from ..db import audit as audit_sql
from ..db import calls as calls_sql
from ..db import clients as clients_sql
from ..enums import CallStatus
from ..errors import ExternalServiceError, InvalidInput
from . import extract_call
from .accumulate import Proposal, ProposalItem, accumulate
from .diff import FIELD_LABELS, Change, ICPDiff, apply_changes, diff_icp
from .extract import Extractor, Finding
from .fathom import FathomError, MeetingSummary, client_meetings, meeting_to_call, suggest_client_domains
from .model import Call, Invitee, utterance_from_dict
from .parse import TranscriptError, parse_transcripts

__all__ = ["CallService", "TranscriptPreview", "ImportReport", "FathomMeeting", "CallReview", "ReviewItem",
           "AcceptResult", "call_key", "normalise_domains", "CALL_FIELD_LABELS"]

Row = dict[str, Any]
#: ``(done, total, label of the call being read)`` before each call.
Progress = Callable[[int, int, str], None]
#: Words for the screen per ICP field (plural, lower case).
CALL_FIELD_LABELS: dict[str, str] = dict(FIELD_LABELS)

_DOMAIN = re.compile(r"^(?=.{3,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$")


def call_key(call: Call) -> str:
    """``fathom:<recording_id>`` for a Fathom meeting, else ``file:<sha256 prefix>`` of its text."""
    if call.recording_id:
        return f"fathom:{int(call.recording_id)}"
    return f"file:{call.content_sha256()[:16]}"


def normalise_domains(domains: str | Sequence[str]) -> list[str]:
    """E-mail domains from user input: a comma/space separated string or a list; ``@acme.com``,
    ``dana@acme.com`` and ``ACME.com`` all give ``acme.com``; duplicates dropped, order kept.
    Raises :class:`InvalidInput` for something that is not a domain."""
    parts = re.split(r"[\s,;]+", domains) if isinstance(domains, str) else list(domains)
    out: list[str] = []
    for raw in parts:
        d = (raw or "").strip().lower().rsplit("@", 1)[-1].strip(". ")
        if not d:
            continue
        if not _DOMAIN.match(d):
            raise InvalidInput(f"{raw.strip()!r} is not an e-mail domain (e.g. acme.com)")
        if d not in out:
            out.append(d)
    return out


@dataclass
class TranscriptPreview:
    """One call found in an uploaded file, before anything is stored.

    ``call`` is None when the file could not be read (``error`` says why, for the user);
    ``already``: label of the stored call with the same key or text (it will not be imported again).
    """

    filename: str
    call: Call | None
    error: str | None = None
    already: str | None = None

    @property
    def ok(self) -> bool:
        """True when the call can be imported (read, and not stored yet)."""
        return self.call is not None and self.already is None

    def summary(self) -> dict[str, Any]:
        """A row for the screen: file, call, date, speakers, turns, what happens to it."""
        c = self.call
        if c is None:
            status = f"Cannot read: {self.error}"
        elif self.already:
            status = f"Already read ({self.already})"
        else:
            status = "New"
        return {"file": self.filename, "call": c.title if c else "", "date": c.date if c else None,
                "speakers": ", ".join(c.speakers[:6]) if c else "", "turns": len(c.utterances) if c else 0,
                "status": status}


@dataclass
class ImportReport:
    """What an import or a new reading did: ``read`` (labels of calls read and stored),
    ``failed`` (stored, but reading failed: ``(label, reason)``; can be read again), ``skipped``
    (not stored: ``(label, reason)``, e.g. already read, no transcript in Fathom)."""

    read: list[str] = dc_field(default_factory=list)
    failed: list[tuple[str, str]] = dc_field(default_factory=list)
    skipped: list[tuple[str, str]] = dc_field(default_factory=list)

    def message(self) -> str:
        """One sentence for the user, e.g. ``"Read 2 calls. 1 skipped (Intro call: already read)."``"""
        parts = []
        if self.read:
            parts.append(f"Read {len(self.read)} call{'s' if len(self.read) != 1 else ''}.")
        if self.failed:
            parts.append(f"{len(self.failed)} could not be read ("
                         + "; ".join(f"{label}: {why}" for label, why in self.failed[:3]) + ").")
        if self.skipped:
            parts.append(f"{len(self.skipped)} skipped ("
                         + "; ".join(f"{label}: {why}" for label, why in self.skipped[:3]) + ").")
        return " ".join(parts) or "Nothing to read."


@dataclass
class FathomMeeting:
    """One of the client's Fathom meetings: ``summary`` for the picker, ``meeting`` the API object
    (pass it back to :meth:`CallService.import_fathom_meetings`), ``already``: label of the stored
    call when the meeting was read before."""

    summary: MeetingSummary
    meeting: dict[str, Any]
    already: str | None = None

    def row(self) -> dict[str, Any]:
        """A row for the picker: date, meeting, client's people, minutes, already read."""
        s = self.summary
        return {"recording_id": s.recording_id, "date": s.date, "meeting": s.title,
                "client_people": ", ".join(s.client_invitees), "minutes": s.minutes,
                "already_read": self.already or ""}


@dataclass
class ReviewItem:
    """An item of the proposal shown outside the diff (taken back, ruled out, conflicting, said
    only by the agency, or the content audience). ``evidence``/``against``/``retracted_by``:
    quotes as dicts (call, quote, timestamp, speaker, role, call_id, date)."""

    field: str
    field_label: str
    value: str
    status: str
    evidence: list[dict[str, Any]] = dc_field(default_factory=list)
    against: list[dict[str, Any]] = dc_field(default_factory=list)
    retracted_by: list[dict[str, Any]] = dc_field(default_factory=list)

    @classmethod
    def of(cls, item: ProposalItem) -> ReviewItem:
        js = item.to_json()
        return cls(field=item.field, field_label=CALL_FIELD_LABELS.get(item.field, item.field), value=item.value,
                   status=item.status, evidence=js.get("evidence", []), against=js.get("against", []),
                   retracted_by=js.get("retracted_by", []))


@dataclass
class CallReview:
    """The client's proposal from every stored call, as a diff against the current ICP.

    ``calls``: summaries of every stored call (all statuses, in call order); ``icp_version``: the
    version row the diff is against (None: no ICP yet) and ``icp_version_id`` its id (pass it to
    :meth:`CallService.accept`); ``diff.changes``: added / removed / unchanged with quotes and
    stable ids (``Change.default``: start ticked); ``retracted``, ``ruled_out``, ``conflicts``,
    ``unconfirmed`` (said only by the agency), ``audience`` (people the client wants reading the
    content, not buyers); ``new_calls``: labels of calls no review has included yet.
    """

    calls: list[Row]
    proposal: Proposal
    diff: ICPDiff
    icp_version: Row | None
    retracted: list[ReviewItem]
    ruled_out: list[ReviewItem]
    conflicts: list[ReviewItem]
    unconfirmed: list[ReviewItem]
    audience: list[ReviewItem]
    new_calls: list[str]

    @property
    def icp_version_id(self) -> int | None:
        return int(self.icp_version["id"]) if self.icp_version else None

    @property
    def used_calls(self) -> list[Row]:
        """The calls whose findings make the proposal (status ``processed``)."""
        return [c for c in self.calls if c["status"] == CallStatus.PROCESSED]

    def changes_by_field(self) -> list[tuple[str, str, list[Change]]]:
        """``[(field, label, changes)]`` in ICP field order, fields without a change left out;
        within a field: added, removed, then unchanged."""
        order = {"added": 0, "removed": 1, "unchanged": 2}
        out = []
        for f, changes in self.diff.by_field().items():
            if changes:
                out.append((f, CALL_FIELD_LABELS.get(f, f), sorted(changes, key=lambda c: order[c.kind])))
        return out


@dataclass
class AcceptResult:
    """What :meth:`CallService.accept` saved: ``version`` (the new ICP version row, or the current
    one when nothing was accepted), ``created`` (a new version was saved), ``note`` (its change note)."""

    version: Row | None
    created: bool
    note: str


def _label(title: str, date: Any) -> str:
    d = date.isoformat() if isinstance(date, dt.date) else date
    return f"{title} ({d})" if d else title


def _row_label(row: Row) -> str:
    return _label(row["title"], row.get("call_date"))


def _call_ref(row: Row) -> dict[str, Any]:
    date = row["call_date"].isoformat() if row.get("call_date") else None
    return {"id": row["call_key"], "title": row["title"], "date": date, "source": row["source"],
            "recording_id": row.get("recording_id"), "url": row.get("url"), "label": _label(row["title"], date)}


def call_from_row(row: Row) -> Call:
    """The :class:`Call` stored in a ``fathom_calls`` row (with its content)."""
    date = row["call_date"].isoformat() if row.get("call_date") else None
    invitees = [Invitee(**{k: v for k, v in i.items() if k in Invitee.__dataclass_fields__})
                for i in row.get("invitees") or [] if isinstance(i, dict)]
    return Call(id=row["call_key"], title=row["title"], utterances=[utterance_from_dict(u) for u in row["utterances"]],
                source=row["source"], date=date, recording_id=row.get("recording_id"), invitees=invitees,
                recorded_by_domain=row.get("recorded_by_domain"), language=row.get("language"), url=row.get("url"),
                duration_s=row.get("duration_s"), filename=row.get("filename"))


def _extractor_name(ext: Extractor) -> str:
    model = getattr(ext, "model", None)
    return f"{ext.name}-{model}" if model and ext.name != "offline" else ext.name


class CallService:
    """Discovery calls of clients, stored in Postgres (see the module docstring).

    ``CallService(db, wiring)``: ``db`` a :class:`~icp_engine.db.Database`, ``wiring`` the
    :class:`~icp_engine.wiring.Wiring` that builds the Fathom client and the extractors.
    """

    def __init__(self, db: Any, wiring: Any):
        self.db = db
        self.wiring = wiring

    # ------------------------------------------------------------------ client e-mail domains

    def email_domains(self, client_id: int) -> list[str]:
        """The client's e-mail domains (``[]`` when none); raises ``NotFound``."""
        with self.db.connect() as conn:
            return calls_sql.email_domains(conn, client_id)

    def set_email_domains(self, client_id: int, domains: str | Sequence[str]) -> list[str]:
        """Replace the client's e-mail domains (see :func:`normalise_domains`); returns them.
        Calls already read keep their reading: :meth:`reread` reads them with the new domains."""
        clean = normalise_domains(domains)
        with self.db.begin() as conn:
            return calls_sql.set_email_domains(conn, client_id, clean)

    # ------------------------------------------------------------------ files

    def preview_files(self, client_id: int, files: Sequence[tuple[str, bytes]]) -> list[TranscriptPreview]:
        """Read uploaded files (``(filename, bytes)``; Fathom meeting JSON, Fathom's copied text,
        WebVTT, SRT, plain text) without storing anything: one preview per call found, or one with
        ``error`` per file that cannot be read."""
        out: list[TranscriptPreview] = []
        seen: dict[str, str] = {}
        with self.db.connect() as conn:
            for name, data in files:
                try:
                    calls = parse_transcripts(name, data)
                except TranscriptError as exc:
                    out.append(TranscriptPreview(filename=name, call=None, error=str(exc)))
                    continue
                for c in calls:
                    key, sha = call_key(c), c.content_sha256()
                    same = calls_sql.find_same(conn, client_id, key, sha)
                    already = _row_label(same) if same else seen.get(key) or seen.get(sha)
                    if not already:
                        seen[key] = seen[sha] = f"{c.label}, {name}"
                    out.append(TranscriptPreview(filename=name, call=c, already=already))
        return out

    def import_files(self, client_id: int, files: Sequence[tuple[str, bytes]], *, author: str,
                     extractor: str | None = None, on_progress: Progress | None = None) -> ImportReport:
        """:meth:`preview_files` then :meth:`import_calls` of the calls that can be imported;
        unreadable files and calls read before are reported in ``skipped``."""
        previews = self.preview_files(client_id, files)
        report = self.import_calls(client_id, [p.call for p in previews if p.ok and p.call is not None],
                                   author=author, extractor=extractor, on_progress=on_progress)
        for p in previews:
            if p.call is None:
                report.skipped.append((p.filename, p.error or "cannot be read"))
            elif p.already:
                report.skipped.append((p.call.label, f"already read ({p.already})"))
        return report

    # ------------------------------------------------------------------ reading

    def _read(self, call: Call, client: Row, ext: Extractor) -> tuple[Call, list[Finding], str | None]:
        """Roles + findings of a call; on an extractor's service error, no findings and the reason."""
        try:
            with_roles, found = extract_call(call, ext, client_name=client["name"],
                                             client_domains=client.get("email_domains") or [])
            return with_roles, found, None
        except ExternalServiceError as exc:
            return call, [], str(exc)

    def import_calls(self, client_id: int, calls: Sequence[Call], *, author: str, extractor: str | None = None,
                     on_progress: Progress | None = None) -> ImportReport:
        """Read each call (roles with the client's e-mail domains, then the extractor: ``offline``,
        ``openai``, or None for OpenAI with a key, else offline) and store it with what was found.

        Each call is stored in its own transaction; a call whose key or text is stored already is
        skipped. Raises :class:`InvalidInput` for an unknown extractor, ``NotFound`` for no client.
        """
        ext = self.wiring.call_extractor(extractor)
        report = ImportReport()
        with self.db.connect() as conn:
            client = clients_sql.get_client(conn, client_id)
        for i, c in enumerate(calls):
            key = call_key(c)
            c = replace(c, id=key)
            if on_progress:
                on_progress(i, len(calls), c.label)
            sha = c.content_sha256()
            with self.db.connect() as conn:
                same = calls_sql.find_same(conn, client_id, key, sha)
            if same:
                report.skipped.append((c.label, f"already read ({_row_label(same)})"))
                continue
            with_roles, found, error = self._read(c, client, ext)
            with self.db.begin() as conn:
                calls_sql.lock_client(conn, client_id)
                same = calls_sql.find_same(conn, client_id, key, sha)
                if same:  # imported by someone else meanwhile
                    report.skipped.append((c.label, f"already read ({_row_label(same)})"))
                    continue
                calls_sql.insert_call(conn, client_id, {
                    "call_key": key, "source": c.source, "recording_id": c.recording_id, "title": c.title,
                    "call_date": c.date, "url": c.url, "language": c.language,
                    "duration_s": int(c.duration_s) if c.duration_s is not None else None, "filename": c.filename,
                    "recorded_by_domain": c.recorded_by_domain,
                    "invitee_domains": sorted({i.email_domain.lower() for i in c.invitees if i.email_domain}),
                    "invitees": [asdict(i) for i in c.invitees],
                    "utterances": [asdict(u) for u in with_roles.utterances], "content_sha256": sha,
                    "extractor": _extractor_name(ext), "findings": [f.to_dict() for f in found],
                    "status": CallStatus.FAILED if error else CallStatus.PROCESSED, "error": error,
                    "imported_by": author or "anonymous",
                })
            if error:
                report.failed.append((c.label, error))
            else:
                report.read.append(c.label)
        if on_progress:
            on_progress(len(calls), len(calls), "")
        return report

    def reread(self, client_id: int, *, extractor: str | None = None, call_ids: Sequence[int] | None = None,
               on_progress: Progress | None = None) -> ImportReport:
        """Read stored calls again from their stored transcripts (e.g. after the client's e-mail
        domains changed, or to retry failed ones): all calls not left out, or ``call_ids``.
        ``extractor``: None keeps each call's own kind (``offline`` / ``openai``)."""
        with self.db.connect() as conn:
            client = clients_sql.get_client(conn, client_id)
            rows = calls_sql.list_calls(conn, client_id, statuses=(CallStatus.PROCESSED, CallStatus.FAILED),
                                        content=True)
        if call_ids is not None:
            wanted = {int(i) for i in call_ids}
            rows = [r for r in rows if r["id"] in wanted]
        report = ImportReport()
        exts: dict[str, Extractor] = {}
        for i, row in enumerate(rows):
            call = call_from_row(row)
            if on_progress:
                on_progress(i, len(rows), call.label)
            kind = extractor or ("openai" if str(row["extractor"]).startswith("openai") else "offline")
            if kind not in exts:
                exts[kind] = self.wiring.call_extractor(kind)
            with_roles, found, error = self._read(call, client, exts[kind])
            with self.db.begin() as conn:
                calls_sql.update_reading(conn, row["id"], utterances=[asdict(u) for u in with_roles.utterances],
                                         findings=[f.to_dict() for f in found], extractor=_extractor_name(exts[kind]),
                                         status=CallStatus.FAILED if error else CallStatus.PROCESSED, error=error)
            if error:
                report.failed.append((call.label, error))
            else:
                report.read.append(call.label)
        if on_progress:
            on_progress(len(rows), len(rows), "")
        return report

    # ------------------------------------------------------------------ stored calls

    def list_calls(self, client_id: int) -> list[Row]:
        """Summaries of the client's stored calls in call order (no transcript): ``title``,
        ``call_date``, ``source``, ``status``, ``error``, ``turns``, ``findings_count``,
        ``extractor``, ``imported_by``, ``imported_at``, ``applied_icp_version_id``, ``label``..."""
        with self.db.connect() as conn:
            rows = calls_sql.list_calls(conn, client_id)
        for r in rows:
            r["label"] = _row_label(r)
        return rows

    def leave_out(self, client_id: int, call_id: int) -> bool:
        """Leave a call out of the proposal (kept, and can be put back); True if it changed."""
        with self.db.begin() as conn:
            return calls_sql.set_status(conn, client_id, call_id, CallStatus.IGNORED)

    def put_back(self, client_id: int, call_id: int) -> bool:
        """Use a left-out call in the proposal again (``failed`` again if it was never read); True if it changed."""
        with self.db.begin() as conn:
            row = calls_sql.get_call(conn, call_id, content=False)
            if row["client_id"] != client_id or row["status"] != CallStatus.IGNORED:
                return False
            status = CallStatus.FAILED if row["error"] else CallStatus.PROCESSED
            return calls_sql.set_status(conn, client_id, call_id, status)

    # ------------------------------------------------------------------ Fathom

    def fathom_available(self) -> bool:
        """True when Fathom can be asked (``FATHOM_API_KEY`` is set)."""
        return bool(self.wiring.settings.fathom_api_key)

    def suggest_domains(self, client_id: int, *, since: str | dt.date | None = None) -> list[str]:
        """Invitee e-mail domains of Fathom meetings that look like the client's name, best first
        (a starting point for :meth:`set_email_domains`). Raises :class:`FathomError`, ``InvalidInput``."""
        with self.db.connect() as conn:
            client = clients_sql.get_client(conn, client_id)
        src = self.wiring.fathom()
        return suggest_client_domains(src.iter_meetings(created_after=since, include_transcript=False),
                                      client["name"])

    def fathom_meetings(self, client_id: int, *, domains: Sequence[str] | None = None,
                        since: str | dt.date | None = None) -> list[FathomMeeting]:
        """The client's Fathom meetings, newest first: every meeting with an invitee on one of the
        client's e-mail domains (``domains``, default the stored ones), created after ``since``.
        Transcripts are fetched on import, not here. Raises :class:`InvalidInput` without a domain
        or key, :class:`FathomError` when Fathom fails."""
        doms = normalise_domains(domains) if domains is not None else self.email_domains(client_id)
        if not doms:
            raise InvalidInput("set the client's e-mail domains first (e.g. acme.com): its Fathom meetings are "
                               "found by the invitees' e-mail domains")
        src = self.wiring.fathom()
        try:
            rows = client_meetings(src, doms, since=since, include_transcript=False)
        except ValueError as exc:
            if isinstance(exc, InvalidInput):
                raise
            raise InvalidInput(str(exc)) from None
        with self.db.connect() as conn:
            stored = calls_sql.recording_ids(conn, client_id)
        return [FathomMeeting(summary=s, meeting=m,
                              already=_row_label(stored[s.recording_id]) if s.recording_id in stored else None)
                for s, m in rows]

    def import_fathom_meetings(self, client_id: int, meetings: Sequence[dict[str, Any]], *, author: str,
                               extractor: str | None = None, on_progress: Progress | None = None) -> ImportReport:
        """Fetch the transcripts of the picked meetings (API objects from :meth:`fathom_meetings`)
        and import them (:meth:`import_calls`). A meeting read before, without a transcript, or
        whose transcript Fathom does not send is reported in ``skipped``; nothing else is stored
        for it."""
        src = self.wiring.fathom()
        with self.db.connect() as conn:
            stored = calls_sql.recording_ids(conn, client_id)
        calls: list[Call] = []
        skipped: list[tuple[str, str]] = []
        for i, m in enumerate(meetings):
            title = str(m.get("title") or m.get("meeting_title") or f"Recording {m.get('recording_id')}")
            rid = m.get("recording_id")
            if rid is not None and int(rid) in stored:
                skipped.append((title, f"already read ({_row_label(stored[int(rid)])})"))
                continue
            if on_progress:
                on_progress(i, len(meetings), f"fetching {title}")
            try:
                calls.append(meeting_to_call(src, m))
            except (FathomError, TranscriptError) as exc:
                skipped.append((title, str(exc)))
        report = self.import_calls(client_id, calls, author=author, extractor=extractor, on_progress=on_progress)
        report.skipped = skipped + report.skipped
        return report

    # ------------------------------------------------------------------ review and accept

    def _review(self, conn: Any, client_id: int) -> CallReview:
        clients_sql.get_client(conn, client_id)  # NotFound for an unknown client
        rows = calls_sql.list_calls(conn, client_id, content=True)
        used = [r for r in rows if r["status"] == CallStatus.PROCESSED]
        extractors = sorted({r["extractor"] for r in used})
        proposal = accumulate([(_call_ref(r), [Finding.from_dict(f) for f in r["findings"]]) for r in used],
                              extractor=", ".join(extractors))
        ver = clients_sql.latest_icp(conn, client_id)
        current = clients_sql.icp_of(ver) if ver else None
        diff = diff_icp(current, proposal)
        reviewed = {r["call_key"] for r in used if r["applied_icp_version_id"] is not None}
        for ch in diff.changes:
            if ch.kind == "unchanged" or not ch.evidence:
                continue
            if all(e.get("call_id") in reviewed for e in ch.evidence):
                ch.default = False
                ch.reason += "; not taken in an earlier review"
        in_diff = {(c.field, c.id.split(":", 2)[2]) for c in diff.changes if c.kind == "removed"}
        summaries = []
        for r in rows:
            s = {k: v for k, v in r.items() if k not in ("utterances", "invitees", "findings", "content_sha256")}
            s.update(turns=len(r["utterances"]), findings_count=len(r["findings"]), label=_row_label(r))
            summaries.append(s)
        return CallReview(
            calls=summaries, proposal=proposal, diff=diff, icp_version=ver,
            retracted=[ReviewItem.of(i) for i in proposal.with_status("retracted") if (i.field, i.key) not in in_diff],
            ruled_out=[ReviewItem.of(i) for i in proposal.with_status("excluded") if (i.field, i.key) not in in_diff],
            conflicts=[ReviewItem.of(i) for i in proposal.conflicts()],
            unconfirmed=[ReviewItem.of(i) for i in proposal.with_status("unconfirmed")],
            audience=[ReviewItem.of(i) for f in proposal.audience for i in proposal.proposed(f, audience=True)],
            new_calls=[_row_label(r) for r in used if r["applied_icp_version_id"] is None],
        )

    def review(self, client_id: int) -> CallReview:
        """The proposal from every stored call of the client that is not left out, as a diff
        against the current ICP (see :class:`CallReview`). Raises ``NotFound``."""
        with self.db.connect() as conn:
            return self._review(conn, client_id)

    def accept(self, client_id: int, accepted: Sequence[str], *, author: str,
               icp_version_id: int | None) -> AcceptResult:
        """Apply the accepted changes (ids of :class:`~icp_engine.calls.diff.Change`) to the
        current ICP and save it as a new version whose change note names the calls behind them;
        every call of the review is then recorded as reviewed in that version.

        ``icp_version_id``: the version the user reviewed against (:attr:`CallReview.icp_version_id`);
        when the ICP changed since, raises :class:`InvalidInput` and saves nothing (review again).
        Nothing accepted: no new version (the calls are still recorded as reviewed when the client
        has an ICP). Unknown change ids raise :class:`InvalidInput`.
        """
        with self.db.begin() as conn:
            client = calls_sql.lock_client(conn, client_id)
            rv = self._review(conn, client_id)
            if rv.icp_version_id != icp_version_id:
                now = f"version {rv.icp_version['version']}" if rv.icp_version else "no ICP"
                raise InvalidInput(f"the ICP changed since this review was shown (now {now}); review the calls again")
            ids = {c.id for c in rv.diff.changes}
            unknown = [a for a in accepted if a not in ids]
            if unknown:
                raise InvalidInput(f"these changes are no longer proposed: {', '.join(unknown[:5])}; review again")
            chosen = [a for a in dict.fromkeys(accepted) if not a.startswith("unchanged:")]
            call_ids = [int(r["id"]) for r in rv.used_calls]
            current = clients_sql.icp_of(rv.icp_version) if rv.icp_version else None
            if not chosen:
                if rv.icp_version:
                    calls_sql.mark_applied(conn, call_ids, int(rv.icp_version["id"]))
                return AcceptResult(version=rv.icp_version, created=False, note="From calls: no change accepted")
            new_icp, note = apply_changes(current, rv.diff, chosen, name=f"{client['name']} ICP")
            row = clients_sql.save_icp(conn, client_id, new_icp, author=author or "anonymous", note=note)
            calls_sql.mark_applied(conn, call_ids, int(row["id"]))
            created = rv.icp_version is None or int(row["id"]) != int(rv.icp_version["id"])
            if created:  # the audit trail of ICP versions (issue 12)
                audit_sql.record(conn, actor=author or "anonymous", action="icp.save", target_type="icp_version",
                                 target_id=int(row["id"]), details={"client_id": client_id,
                                                                    "version": row["version"], "from": "calls"})
            return AcceptResult(version=row, created=created, note=note)
