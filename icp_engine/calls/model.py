"""Plain data of a discovery call: :class:`Call`, :class:`Utterance`, :class:`Invitee`. No I/O.

A call is what every transcript format turns into (Fathom meeting JSON, Fathom's copied text,
WebVTT, SRT, plain text; see :mod:`icp_engine.calls.parse`). Speakers keep their display name,
e-mail (Fathom only) and company (from ``Name (Company)`` labels); :mod:`icp_engine.calls.roles`
then says which side each speaker is on (the client or the agency).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field, replace
from typing import Any

__all__ = ["Call", "Utterance", "Invitee", "ROLES", "format_timestamp", "parse_timestamp", "utterance_from_dict"]

#: Speaker sides: the agency's people ask, the client's people state what they want.
ROLES: tuple[str, ...] = ("client", "agency", "unknown")

_TS = re.compile(r"^\s*(?:(\d+):)?(\d{1,2}):(\d{2})(?:[.,](\d{1,3}))?\s*$")


def parse_timestamp(text: str | None) -> float | None:
    """Seconds from ``"H:MM:SS"``, ``"HH:MM:SS"``, ``"M:SS"`` or ``"HH:MM:SS.mmm"``; None if unreadable."""
    if not text:
        return None
    m = _TS.match(str(text))
    if not m:
        return None
    h, mnt, s, frac = m.groups()
    secs = int(h or 0) * 3600 + int(mnt) * 60 + int(s)
    return secs + (int(frac.ljust(3, "0")) / 1000 if frac else 0.0)


def format_timestamp(seconds: float | None) -> str:
    """``"M:SS"`` under an hour, else ``"H:MM:SS"`` (how Fathom shows times); ``""`` for None."""
    if seconds is None:
        return ""
    s = int(seconds)
    if s >= 3600:
        return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"
    return f"{s // 60}:{s % 60:02d}"


@dataclass(frozen=True)
class Invitee:
    """A calendar invitee of a Fathom meeting (any field may be None, as in the API)."""

    name: str | None = None
    email: str | None = None
    email_domain: str | None = None
    is_external: bool | None = None


@dataclass(frozen=True)
class Utterance:
    """One turn of one speaker.

    ``seconds``: start from the beginning of the recording (None when the format has no times);
    ``timestamp``: the same as text (:func:`format_timestamp`). ``email``/``company`` when the
    format tells them. ``role``: one of :data:`ROLES`, set by :func:`icp_engine.calls.roles.assign_roles`.
    """

    speaker: str
    text: str
    seconds: float | None = None
    email: str | None = None
    company: str | None = None
    role: str = "unknown"

    @property
    def timestamp(self) -> str:
        return format_timestamp(self.seconds)


def utterance_from_dict(d: dict[str, Any]) -> Utterance:
    """An :class:`Utterance` from its ``asdict`` form (unknown keys ignored)."""
    return Utterance(**{k: v for k, v in d.items() if k in Utterance.__dataclass_fields__})


@dataclass
class Call:
    """One recorded call.

    ``id``: stable identifier (``fathom:<recording_id>`` for Fathom, else the file name);
    ``title``: meeting title; ``date``: ISO date ``YYYY-MM-DD`` when known (orders calls);
    ``source``: ``fathom-json``, ``fathom-text``, ``vtt``, ``srt`` or ``text``;
    ``recording_id``: Fathom's integer id when known; ``invitees``: Fathom calendar invitees;
    ``recorded_by_domain``: e-mail domain of the Fathom user who recorded (the agency's);
    ``language``: Fathom's ``transcript_language`` (may be ``"unknown"``); ``url``: share link.
    """

    id: str
    title: str
    utterances: list[Utterance]
    source: str
    date: str | None = None
    recording_id: int | None = None
    invitees: list[Invitee] = field(default_factory=list)
    recorded_by_domain: str | None = None
    language: str | None = None
    url: str | None = None
    duration_s: float | None = None
    filename: str | None = None

    @property
    def label(self) -> str:
        """How evidence names the call: ``"<title> (<date>)"`` or just the title."""
        return f"{self.title} ({self.date})" if self.date else self.title

    @property
    def speakers(self) -> list[str]:
        """Distinct speaker names in order of first turn."""
        return list(dict.fromkeys(u.speaker for u in self.utterances))

    def text(self) -> str:
        """All utterance texts joined by newlines (what quotes are checked against)."""
        return "\n".join(u.text for u in self.utterances)

    def with_utterances(self, utterances: list[Utterance]) -> Call:
        """A copy with other utterances (e.g. with roles assigned)."""
        return replace(self, utterances=list(utterances))

    def content_sha256(self) -> str:
        """sha256 (hex) of the utterance texts, case and white space normalised: the same call read
        from two files (or from a file and from Fathom) has the same digest."""
        norm = "\n".join(" ".join(u.text.lower().split()) for u in self.utterances)
        return hashlib.sha256(norm.encode("utf-8")).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (:meth:`from_dict` reads it back)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Call:
        """A call from :meth:`to_dict` output (unknown keys ignored)."""
        keys = cls.__dataclass_fields__.keys()
        data = {k: v for k, v in d.items() if k in keys}
        data["utterances"] = [utterance_from_dict(u) for u in d.get("utterances") or []]
        data["invitees"] = [Invitee(**{k: v for k, v in i.items() if k in Invitee.__dataclass_fields__})
                            for i in d.get("invitees") or [] if isinstance(i, dict)]
        return cls(**data)

    def ref(self) -> dict[str, Any]:
        """Short JSON description: id, title, date, source, recording_id, url, label."""
        return {"id": self.id, "title": self.title, "date": self.date, "source": self.source,
                "recording_id": self.recording_id, "url": self.url, "label": self.label}
