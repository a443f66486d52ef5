"""Transcript files in, :class:`~icp_engine.calls.model.Call` out.

:func:`parse_transcript` (one call) and :func:`parse_transcripts` (a file may hold several Fathom
meetings) accept, told apart by content (the file name only helps):

* **Fathom meeting JSON**: one item of ``GET /meetings?include_transcript=true``, a whole list page
  ``{"items": [...], "next_cursor": ...}``, or the ``GET /recordings/{id}/transcript`` body
  ``{"transcript": [...]}`` (FORMATS.md §D). Speakers keep ``matched_calendar_invitee_email``.
* **Fathom's copied transcript text** (FORMATS.md §H): ``<title> - <Month> <day>``, then
  ``VIEW RECORDING - N mins (…): <share url>``, ``---``, then blocks ``M:SS - Speaker (Company)``
  with the text indented below. The title line has no year: the latest such date not after
  ``today`` is used.
* **WebVTT** (``WEBVTT`` header; speakers from ``<v Name>`` voice tags or a ``Name:`` prefix), read
  with ``webvtt-py``; **SRT** (numbered cues, ``00:00:01,000 --> …``), read with ``srt``.
  Consecutive cues of one speaker become one utterance.
* **Plain text**: ``Name: text`` lines (optionally ``[00:01:02]`` / ``(1:02)`` times), or
  ``Name  0:05`` lines followed by the text; else each paragraph is one utterance of an unknown
  speaker.

Errors raise :class:`TranscriptError` with a sentence a user can act on; nothing is half-parsed.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from pathlib import PurePath
from typing import Any

from charset_normalizer import from_bytes

from ..errors import InvalidInput
from .model import Call, Invitee, Utterance, parse_timestamp

__all__ = ["TranscriptError", "parse_transcript", "parse_transcripts", "call_from_fathom_meeting",
           "MAX_TRANSCRIPT_BYTES", "SUPPORTED"]

MAX_TRANSCRIPT_BYTES = 20 * 1024 * 1024
SUPPORTED = "a Fathom meeting JSON, Fathom's copied transcript text, WebVTT (.vtt), SubRip (.srt) or plain text"


class TranscriptError(InvalidInput):
    """The file is not a transcript this product reads (message says why and what would work)."""


# ------------------------------------------------------------------------------------ decoding

def _decode(data: bytes, filename: str) -> str:
    if not data or not data.strip():
        raise TranscriptError(f"{filename} is empty")
    if len(data) > MAX_TRANSCRIPT_BYTES:
        raise TranscriptError(f"{filename} is {len(data) / 1e6:.0f} MB; a transcript over "
                              f"{MAX_TRANSCRIPT_BYTES // (1024 * 1024)} MB is not supported")
    head = data[:8]
    if head.startswith(b"%PDF"):
        raise TranscriptError(f"{filename} is a PDF; copy the transcript text from Fathom or export it as .vtt/.srt")
    if head.startswith(b"PK\x03\x04"):
        raise TranscriptError(f"{filename} is a ZIP/Word file; save the transcript as text, .vtt or .srt")
    for bom, enc in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            return data.decode(enc).lstrip("\ufeff")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        best = from_bytes(data).best()
        if best is None:
            raise TranscriptError(f"{filename} is not text ({SUPPORTED} are supported)") from None
        text = str(best)
    if "\x00" in text[:4096]:
        raise TranscriptError(f"{filename} is a binary file, not a transcript ({SUPPORTED} are supported)")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _stem(filename: str) -> str:
    return PurePath(filename).stem or filename


# ------------------------------------------------------------------------------------ Fathom JSON

def _iso_date(value: Any) -> str | None:
    if not value or not isinstance(value, str):
        return None
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).date().isoformat()
    except ValueError:
        return value[:10] if re.match(r"^\d{4}-\d{2}-\d{2}", value) else None


def _transcript_utterances(items: Any, where: str) -> list[Utterance]:
    if not isinstance(items, list):
        raise TranscriptError(f"{where}: 'transcript' is not a list")
    out: list[Utterance] = []
    for i, it in enumerate(items):
        if not isinstance(it, dict):
            raise TranscriptError(f"{where}: transcript item {i} is not an object")
        sp = it.get("speaker") or {}
        if isinstance(sp, str):
            name, email = sp, None
        else:
            name = (sp.get("display_name") or "").strip() or "Unknown speaker"
            email = sp.get("matched_calendar_invitee_email") or None
        text = " ".join(str(it.get("text") or "").split())
        if not text:
            continue
        out.append(Utterance(speaker=name, text=text, seconds=parse_timestamp(it.get("timestamp")),
                             email=email.lower() if isinstance(email, str) else None))
    return out


def call_from_fathom_meeting(meeting: dict[str, Any], *, filename: str | None = None,
                             transcript: list[dict[str, Any]] | None = None) -> Call:
    """A :class:`Call` from one Fathom ``Meeting`` object (FORMATS.md §D).

    ``transcript`` overrides ``meeting["transcript"]`` (e.g. fetched from
    ``/recordings/{id}/transcript``). Raises :class:`TranscriptError` when neither holds a
    transcript (Fathom sends ``"transcript": null`` unless ``include_transcript=true``).
    """
    rid = meeting.get("recording_id")
    title = (meeting.get("title") or meeting.get("meeting_title") or (filename and _stem(filename))
             or (f"Fathom recording {rid}" if rid is not None else "Fathom call"))
    items = transcript if transcript is not None else meeting.get("transcript")
    where = filename or title
    if items is None:
        raise TranscriptError(
            f"{where}: the Fathom meeting has no transcript (list meetings with include_transcript=true "
            "or fetch /recordings/{id}/transcript)")
    utts = _transcript_utterances(items, where)
    invitees = []
    for inv in meeting.get("calendar_invitees") or []:
        if isinstance(inv, dict):
            email = inv.get("email")
            domain = inv.get("email_domain") or (email.split("@", 1)[1] if email and "@" in email else None)
            invitees.append(Invitee(name=inv.get("name"), email=email.lower() if email else None,
                                    email_domain=domain.lower() if domain else None,
                                    is_external=inv.get("is_external")))
    rec = meeting.get("recorded_by") or {}
    rec_domain = rec.get("email_domain") or (rec.get("email", "").split("@", 1)[1] if "@" in (rec.get("email") or "") else None)
    duration = None
    try:
        s = dt.datetime.fromisoformat(str(meeting["recording_start_time"]).replace("Z", "+00:00"))
        e = dt.datetime.fromisoformat(str(meeting["recording_end_time"]).replace("Z", "+00:00"))
        duration = max(0.0, (e - s).total_seconds())
    except (KeyError, ValueError, TypeError):
        pass
    date = _iso_date(meeting.get("recording_start_time")) or _iso_date(meeting.get("scheduled_start_time")) \
        or _iso_date(meeting.get("created_at"))
    try:
        rid_int = int(rid) if rid is not None else None
    except (TypeError, ValueError):
        rid_int = None
    return Call(
        id=f"fathom:{rid_int}" if rid_int is not None else _stem(filename or title),
        title=str(title).strip(), utterances=utts, source="fathom-json", date=date, recording_id=rid_int,
        invitees=invitees, recorded_by_domain=rec_domain.lower() if rec_domain else None,
        language=meeting.get("transcript_language"), url=meeting.get("share_url") or meeting.get("url"),
        duration_s=duration, filename=filename,
    )


def _parse_json(text: str, filename: str) -> list[Call]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TranscriptError(f"{filename} is not valid JSON ({exc.msg}, line {exc.lineno})") from exc
    if isinstance(data, list):
        if data and all(isinstance(x, dict) and "text" in x for x in data):
            return [Call(id=_stem(filename), title=_stem(filename), source="fathom-json", filename=filename,
                         utterances=_transcript_utterances(data, filename))]
        data = {"items": data}
    if not isinstance(data, dict):
        raise TranscriptError(f"{filename}: JSON holds no Fathom meeting or transcript")
    if isinstance(data.get("items"), list):
        meetings = [m for m in data["items"] if isinstance(m, dict)]
        if not meetings:
            raise TranscriptError(f"{filename}: the Fathom list holds no meetings")
        return [call_from_fathom_meeting(m, filename=filename) for m in meetings]
    if "transcript" in data:
        if "recording_id" in data or "title" in data or "calendar_invitees" in data:
            return [call_from_fathom_meeting(data, filename=filename)]
        if data["transcript"] is None:
            raise TranscriptError(f"{filename}: 'transcript' is null")
        return [Call(id=_stem(filename), title=_stem(filename), source="fathom-json", filename=filename,
                     utterances=_transcript_utterances(data["transcript"], filename))]
    raise TranscriptError(f"{filename}: JSON holds no Fathom meeting or transcript (expected a 'transcript' list "
                          "or an 'items' list of meetings)")


# ------------------------------------------------------------------------------------ Fathom copied text

_FATHOM_HEAD = re.compile(r"^(\d{1,2}:\d{2}(?::\d{2})?)\s+-\s+(.+?)\s*$")
_VIEW_REC = re.compile(r"^VIEW RECORDING\s*-\s*(\d+)\s*mins?\b.*?(https?://\S+)?\s*$", re.I)
_TITLE_DATE = re.compile(
    r"^(?P<title>.+?)\s+-\s+(?P<month>January|February|March|April|May|June|July|August|September|October|"
    r"November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.?\s+(?P<day>\d{1,2})(?:,?\s+(?P<year>\d{4}))?\s*$")
_SPEAKER_COMPANY = re.compile(r"^(?P<name>.+?)\s*\((?P<company>[^()]+)\)$")
_MONTHS = {m: i for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                       "nov", "dec"], 1)}


def _looks_fathom_text(lines: list[str]) -> bool:
    heads = sum(1 for ln in lines[:400] if _FATHOM_HEAD.match(ln))
    return any(_VIEW_REC.match(ln.strip()) for ln in lines[:10]) or heads >= 2


def _infer_date(month: str, day: int, year: str | None, today: dt.date) -> str | None:
    m = _MONTHS.get(month[:3].lower())
    if not m:
        return None
    try:
        if year:
            return dt.date(int(year), m, day).isoformat()
        d = dt.date(today.year, m, day)
        if d > today:
            d = dt.date(today.year - 1, m, day)
        return d.isoformat()
    except ValueError:
        return None


def _parse_fathom_text(text: str, filename: str, today: dt.date) -> Call:
    lines = text.split("\n")
    title, date, url, duration = _stem(filename), None, None, None
    body_start = 0
    for i, ln in enumerate(lines[:12]):
        s = ln.strip()
        if not s:
            continue
        if _FATHOM_HEAD.match(s) and not _VIEW_REC.match(s):
            break
        vm = _VIEW_REC.match(s)
        if vm:
            duration = int(vm.group(1)) * 60.0
            url = vm.group(2)
            body_start = i + 1
            continue
        if s == "---":
            body_start = i + 1
            break
        if i == next(j for j, x in enumerate(lines) if x.strip()):
            tm = _TITLE_DATE.match(s)
            if tm:
                title = tm.group("title").strip()
                date = _infer_date(tm.group("month"), int(tm.group("day")), tm.group("year"), today)
            else:
                title = s
            body_start = i + 1
    utts: list[Utterance] = []
    cur: tuple[str, str | None, float | None] | None = None
    buf: list[str] = []

    def flush() -> None:
        if cur is not None:
            body = " ".join(" ".join(buf).split())
            if body:
                utts.append(Utterance(speaker=cur[0], company=cur[1], seconds=cur[2], text=body))

    for ln in lines[body_start:]:
        s = ln.strip()
        if s == "---" and cur is None:
            continue
        m = _FATHOM_HEAD.match(s) if not ln.startswith((" ", "\t")) else None
        if m:
            flush()
            label = m.group(2)
            cm = _SPEAKER_COMPANY.match(label)
            name, company = (cm.group("name").strip(), cm.group("company").strip()) if cm else (label, None)
            cur, buf = (name, company, parse_timestamp(m.group(1))), []
        elif s and cur is not None:
            buf.append(s)
    flush()
    if not utts:
        raise TranscriptError(f"{filename}: no 'M:SS - Speaker' blocks found in the Fathom transcript text")
    return Call(id=_stem(filename), title=title, utterances=utts, source="fathom-text", date=date, url=url,
                duration_s=duration, filename=filename)


# ------------------------------------------------------------------------------------ captions

_VOICE_PREFIX = re.compile(r"^(?P<name>[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,3}|Speaker\s*\d+)\s*:\s+(?P<text>.+)$", re.S)
_TAG = re.compile(r"<[^>]+>")


def _split_voice(text: str) -> tuple[str | None, str]:
    m = _VOICE_PREFIX.match(text.strip())
    if m:
        return m.group("name").strip(), m.group("text").strip()
    return None, text.strip()


def _merge_cues(cues: list[tuple[str | None, float | None, str]], source: str, filename: str) -> Call:
    utts: list[Utterance] = []
    last_speaker: str | None = None
    for speaker, start, text in cues:
        text = " ".join(_TAG.sub("", text).split())
        if not text:
            continue
        name = speaker or last_speaker or "Unknown speaker"
        if utts and name == utts[-1].speaker:
            prev = utts[-1]
            utts[-1] = Utterance(speaker=prev.speaker, text=f"{prev.text} {text}", seconds=prev.seconds)
        else:
            utts.append(Utterance(speaker=name, text=text, seconds=start))
        last_speaker = name
    if not utts:
        raise TranscriptError(f"{filename}: the {source.upper()} file has no caption text")
    return Call(id=_stem(filename), title=_stem(filename), utterances=utts, source=source, filename=filename)


def _parse_vtt(text: str, filename: str) -> Call:
    import webvtt

    try:
        vtt = webvtt.from_buffer(io.StringIO(text))
    except Exception as exc:  # webvtt raises its own MalformedFileError/MalformedCaptionError
        raise TranscriptError(f"{filename}: not a valid WebVTT file ({exc})") from exc
    cues: list[tuple[str | None, float | None, str]] = []
    for cap in vtt.captions:
        voice = getattr(cap, "voice", None)
        body = cap.text
        if not voice:
            voice, body = _split_voice(body)
        cues.append((voice, float(cap.start_in_seconds), body))
    return _merge_cues(cues, "vtt", filename)


def _parse_srt(text: str, filename: str) -> Call:
    import srt

    try:
        subs = list(srt.parse(text))
    except Exception as exc:  # srt.SRTParseError and friends
        raise TranscriptError(f"{filename}: not a valid SRT file ({exc})") from exc
    cues = []
    for sub in subs:
        body = sub.content
        vm = re.match(r"^\s*<v\s+([^>]+)>(.*)$", body, re.S)
        if vm:
            voice, body = vm.group(1).strip(), vm.group(2)
        else:
            voice, body = _split_voice(_TAG.sub("", body))
        cues.append((voice, sub.start.total_seconds(), body))
    return _merge_cues(cues, "srt", filename)


# ------------------------------------------------------------------------------------ plain text

_PLAIN_LINE = re.compile(
    r"^(?:[\[(]?(?P<ts1>\d{1,2}:\d{2}(?::\d{2})?)[\])]?\s*[-–]?\s*)?"
    r"(?P<name>[A-Z][\w.'’-]*(?:\s+[A-Z&][\w.'’-]*){0,3}|Speaker\s*\d+)"
    r"\s*(?:[\[(](?P<ts2>\d{1,2}:\d{2}(?::\d{2})?)[\])])?\s*:\s*(?P<text>.*)$")
_OTTER_HEAD = re.compile(r"^(?P<name>[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,3}|Speaker\s*\d+)\s{2,}(?P<ts>\d{1,2}:\d{2}(?::\d{2})?)\s*$")


def _parse_plain(text: str, filename: str) -> Call:
    lines = [ln.rstrip() for ln in text.split("\n")]
    labelled = [m for m in (_PLAIN_LINE.match(ln.strip()) for ln in lines if ln.strip()) if m]
    otter = [m for m in (_OTTER_HEAD.match(ln.strip()) for ln in lines if ln.strip()) if m]
    nonempty = [ln for ln in lines if ln.strip()]
    utts: list[Utterance] = []
    if otter and len(otter) * 4 >= len(nonempty) * 1:
        cur = None
        buf: list[str] = []
        for ln in lines:
            m = _OTTER_HEAD.match(ln.strip())
            if m:
                if cur and buf:
                    utts.append(Utterance(speaker=cur[0], seconds=cur[1], text=" ".join(" ".join(buf).split())))
                cur, buf = (m.group("name"), parse_timestamp(m.group("ts"))), []
            elif ln.strip() and cur:
                buf.append(ln.strip())
        if cur and buf:
            utts.append(Utterance(speaker=cur[0], seconds=cur[1], text=" ".join(" ".join(buf).split())))
    elif labelled and len(labelled) * 2 >= len(nonempty):
        for ln in lines:
            s = ln.strip()
            if not s:
                continue
            m = _PLAIN_LINE.match(s)
            if m:
                ts = m.group("ts1") or m.group("ts2")
                utts.append(Utterance(speaker=m.group("name"), seconds=parse_timestamp(ts),
                                      text=" ".join(m.group("text").split())))
            elif utts:  # continuation line
                prev = utts[-1]
                utts[-1] = Utterance(speaker=prev.speaker, seconds=prev.seconds, text=f"{prev.text} {s}".strip())
        utts = [u for u in utts if u.text]
    else:
        for para in re.split(r"\n\s*\n", text):
            body = " ".join(para.split())
            if body:
                utts.append(Utterance(speaker="Unknown speaker", text=body))
    if not utts:
        raise TranscriptError(f"{filename}: no transcript text found")
    return Call(id=_stem(filename), title=_stem(filename), utterances=utts, source="text", filename=filename)


# ------------------------------------------------------------------------------------ entry points

_SRT_START = re.compile(r"^\s*\d+\s*\n\s*\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}\s*-->", re.M)


def parse_transcripts(filename: str, data: bytes, *, today: dt.date | None = None) -> list[Call]:
    """Every call in one file (a Fathom list page holds several; other formats one).

    ``filename`` names the call when the format has no title; ``today`` anchors the year of
    Fathom's copied-text dates (default: today). Raises :class:`TranscriptError` for empty,
    binary, malformed or unsupported input, or a file without any spoken text.
    """
    text = _decode(data, filename)
    stripped = text.lstrip()
    today = today or dt.date.today()
    if stripped.startswith("{") or re.match(r"^\[\s*[\[{\]\"]", stripped):
        calls = _parse_json(stripped, filename)
    elif stripped.startswith("WEBVTT"):
        calls = [_parse_vtt(stripped, filename)]
    elif _SRT_START.match(stripped[:500]):
        calls = [_parse_srt(stripped, filename)]
    else:
        lines = stripped.split("\n")
        calls = [_parse_fathom_text(stripped, filename, today) if _looks_fathom_text(lines)
                 else _parse_plain(stripped, filename)]
    for c in calls:
        if not c.utterances:
            raise TranscriptError(f"{filename}: '{c.title}' has no spoken text")
    return calls


def parse_transcript(filename: str, data: bytes, *, today: dt.date | None = None) -> Call:
    """The one call in a transcript file (see module docstring for the formats).

    Raises :class:`TranscriptError` as :func:`parse_transcripts` does, and when the file holds
    several meetings (use :func:`parse_transcripts` for a Fathom list page).
    """
    calls = parse_transcripts(filename, data, today=today)
    if len(calls) != 1:
        raise TranscriptError(f"{filename} holds {len(calls)} meetings; import them one by one or as a list")
    return calls[0]

