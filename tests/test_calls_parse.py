"""Transcript files: Fathom JSON (item, list page, transcript body), Fathom copied text, VTT, SRT, text."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from icp_engine.calls import TranscriptError, assign_roles, parse_transcript, parse_transcripts
from tests.conftest import FIXTURES, SHARED_FORMATS, needs_shared

DEV = FIXTURES / "calls" / "dev"
TODAY = dt.date(2025, 12, 1)


def test_fathom_meeting_item_keeps_speakers_emails_timestamps():
    call = parse_transcript("harbourline-1.json", (DEV / "harbourline-1.json").read_bytes())
    assert call.id == "fathom:204118811" and call.source == "fathom-json"
    assert call.title == "Harbourline x Quillhouse: discovery" and call.date == "2025-10-02"
    u = call.utterances[1]
    assert (u.speaker, u.email, u.timestamp) == ("Oliver Pratt", "oliver@harbourline.example", "0:18")
    assert {i.email_domain for i in call.invitees} == {"quillhouse.example", "harbourline.example"}
    assert call.recorded_by_domain == "quillhouse.example"


def test_fathom_list_page_and_transcript_body():
    page = {"limit": 50, "next_cursor": None,
            "items": [json.loads((DEV / n).read_text()) for n in ("cobalt-1.json", "cobalt-2.json")]}
    calls = parse_transcripts("page.json", json.dumps(page).encode())
    assert [c.recording_id for c in calls] == [210334871, 212908455]
    with pytest.raises(TranscriptError, match="holds 2 meetings"):
        parse_transcript("page.json", json.dumps(page).encode())
    body = {"transcript": page["items"][0]["transcript"]}
    call = parse_transcript("recording-210334871.json", json.dumps(body).encode())
    assert call.title == "recording-210334871" and len(call.utterances) == 16


def test_fathom_meeting_without_transcript_says_how_to_get_it():
    m = json.loads((DEV / "cobalt-1.json").read_text())
    m["transcript"] = None
    with pytest.raises(TranscriptError, match="include_transcript=true"):
        parse_transcript("m.json", json.dumps(m).encode())


def test_fathom_copied_text():
    call = parse_transcript("harbourline-2.txt", (DEV / "harbourline-2.txt").read_bytes(), today=TODAY)
    assert call.source == "fathom-text"
    assert call.title == "Harbourline - follower review" and call.date == "2025-10-23"
    assert call.url.startswith("https://fathom.video/share/")
    u = call.utterances[3]
    assert (u.speaker, u.company, u.timestamp) == ("Oliver Pratt", "Harbourline Finance", "0:21")
    assert u.text.startswith("Yeah, so, actually, forget construction.")
    # the year: the latest such date not after today
    assert parse_transcript("x.txt", (DEV / "harbourline-2.txt").read_bytes(), today=dt.date(2026, 3, 1)).date == "2025-10-23"


def test_copied_text_with_hours_multiline_and_no_header():
    text = ("1:02:03 - Ana Ruiz (Brightpath)\n  First line of a long answer\n  that goes on.\n\n"
            "1:02:20 - Tom Lee\n  CFOs mostly.\n")
    call = parse_transcript("paste.txt", text.encode())
    assert [(u.speaker, u.company, u.timestamp) for u in call.utterances] == [
        ("Ana Ruiz", "Brightpath", "1:02:03"), ("Tom Lee", None, "1:02:20")]
    assert call.utterances[0].text == "First line of a long answer that goes on."


def test_webvtt_voices_and_prefixes_merge_cues():
    vtt = ("WEBVTT\n\n00:00:01.000 --> 00:00:04.000\n<v Ana Ruiz>We sell to CFOs</v>\n\n"
           "00:00:04.000 --> 00:00:06.000\n<v Ana Ruiz>at SaaS companies.</v>\n\n"
           "00:00:07.500 --> 00:00:09.000\nTom Lee: And size?\n")
    call = parse_transcript("zoom.vtt", vtt.encode())
    assert call.source == "vtt"
    assert [(u.speaker, u.text, u.timestamp) for u in call.utterances] == [
        ("Ana Ruiz", "We sell to CFOs at SaaS companies.", "0:01"), ("Tom Lee", "And size?", "0:07")]


def test_srt_with_speaker_prefixes():
    srt = ("1\n00:00:01,000 --> 00:00:03,000\nTom Lee: Who buys?\n\n"
           "2\n00:00:03,500 --> 00:00:06,000\nAna Ruiz: Heads of finance,\n\n"
           "3\n00:00:06,000 --> 00:00:08,000\nmostly in fintech.\n")
    call = parse_transcript("call.srt", srt.encode())
    assert call.source == "srt"
    assert [(u.speaker, u.text) for u in call.utterances] == [
        ("Tom Lee", "Who buys?"), ("Ana Ruiz", "Heads of finance, mostly in fintech.")]


def test_plain_text_forms():
    labelled = "[00:00:05] Tom Lee: Who buys?\nAna Ruiz (0:09): CFOs.\nStill Ana on a new line.\n"
    call = parse_transcript("notes.txt", labelled.encode())
    assert [(u.speaker, u.timestamp, u.text) for u in call.utterances] == [
        ("Tom Lee", "0:05", "Who buys?"), ("Ana Ruiz", "0:09", "CFOs. Still Ana on a new line.")]
    otter = "Tom Lee  0:05\nWho buys?\n\nAna Ruiz  0:09\nCFOs at SaaS companies.\n"
    assert [u.speaker for u in parse_transcript("otter.txt", otter.encode()).utterances] == ["Tom Lee", "Ana Ruiz"]
    prose = "They want CFOs at SaaS companies.\n\nNot agencies."
    call = parse_transcript("summary.txt", prose.encode("utf-16"))
    assert [u.text for u in call.utterances] == ["They want CFOs at SaaS companies.", "Not agencies."]
    assert call.utterances[0].speaker == "Unknown speaker"


@pytest.mark.parametrize("data,msg", [
    (b"", "empty"),
    (b"   \n ", "empty"),
    (b"%PDF-1.7 ...", "PDF"),
    (b"PK\x03\x04....", "Word"),
    (b'{"hello": 1}', "no Fathom meeting"),
    (b"{not json", "not valid JSON"),
    (b"WEBVTT\n\nnot a cue at all -->", "VTT"),
    (b"\x00\x01\x02binary" * 10, "binary"),
])
def test_bad_input_is_refused_with_a_reason(data, msg):
    with pytest.raises(TranscriptError, match=msg):
        parse_transcript("bad.bin", data)


def test_roles_from_emails_company_labels_and_questions():
    json_call = assign_roles(parse_transcript("c.json", (DEV / "cobalt-2.json").read_bytes()),
                             client_domains=["cobaltledger.example"])
    roles = {u.speaker: u.role for u in json_call.utterances}
    assert roles == {"Leo Marsh": "agency", "Maya Thornton": "client", "iPhone (2)": "unknown"}
    text_call = assign_roles(parse_transcript("t.txt", (DEV / "lumenvale-2.txt").read_bytes(), today=TODAY),
                             client_name="Lumen & Vale")
    assert {u.speaker: u.role for u in text_call.utterances} == {"Dana Whitcombe": "agency", "Ines Carvalho": "client"}
    bare = parse_transcript("b.txt", b"Tom: Who buys from you?\nAna: CFOs.\nTom: And what size?\nAna: Fifty to two hundred staff.\n")
    assert {u.speaker: u.role for u in assign_roles(bare).utterances} == {"Tom": "agency", "Ana": "unknown"}


@needs_shared
def test_shared_fathom_samples_parse():
    calls = parse_transcripts("fathom_meetings_sample.json", (SHARED_FORMATS / "fathom_meetings_sample.json").read_bytes())
    assert len(calls) == 3 and calls[2].utterances[-1].speaker == "Speaker 3" and calls[2].utterances[-1].email is None
    t = parse_transcript("fathom_transcript_sample.json", (SHARED_FORMATS / "fathom_transcript_sample.json").read_bytes())
    assert len(t.utterances) == 12
