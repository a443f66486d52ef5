"""LinkedIn's ``Connections.csv`` export (FORMATS.md §C) -> followers.

Layout: an optional preamble (``Notes:``, a quoted paragraph, an empty line), then the header
``First Name,Last Name,URL,Email Address,Company,Position,Connected On`` and one row per
1st-degree connection. The header is found by scanning for the first line that starts with
``First Name,`` (quoted or not), so exports with 0-3 or more preamble lines all work; CRLF and
LF line ends, a UTF-8 BOM and standard CSV quoting (``"Kestrel & Finch Advisory, LLP"``,
doubled quotes inside quoted fields) are handled by :mod:`csv`.

Rows kept become :class:`~icp_engine.domain.Follower` with ``name`` (first + last), ``company``
(``Company``), ``title`` (``Position``) and ``degree="1st"``. Skipped, with counts in ``stats``:
blank rows (``blank_rows``; deactivated members leave only the date), rows without a URL
(``skipped_no_url``; they cannot be enriched or matched), rows whose URL is not a member
profile link (``invalid_url``) and repeated people (``duplicates``).
"""

from __future__ import annotations

import csv
import io
import re

from ..domain import Follower
from ._types import ParsedUpload, UploadError
from .profile_url import profile_ref

_HEADER_RE = re.compile(r'^\ufeff?\s*"?First Name"?\s*,', re.IGNORECASE)
_SCAN_LINES = 200  # the header is on line 4 in real exports; allow generous preambles
_MAX_FIELD = 1_000_000
COLUMNS = ("First Name", "Last Name", "URL", "Email Address", "Company", "Position", "Connected On")


def find_header(text: str) -> int | None:
    """Character offset of the ``First Name,…`` header line in the first 200 lines, or None."""
    pos = 0
    for _ in range(_SCAN_LINES):
        end = text.find("\n", pos)
        line = text[pos:] if end < 0 else text[pos:end]
        if _HEADER_RE.match(line):
            return pos
        if end < 0:
            return None
        pos = end + 1
    return None


def is_connections_csv(text: str) -> bool:
    """True when ``text`` has the ``Connections.csv`` header within its first 200 lines."""
    return find_header(text) is not None


def _cell(row: dict, name: str) -> str:
    v = row.get(name)
    if isinstance(v, list):  # extra cells beyond the header (restkey)
        v = ",".join(v)
    return " ".join((v or "").split())


def parse_connections_csv(text: str) -> ParsedUpload:
    """Parse the decoded text of a ``Connections.csv``.

    Returns a :class:`ParsedUpload` of kind ``connections_csv`` (``people`` may be empty; the
    caller decides whether that is an error). Raises :class:`UploadError` when no
    ``First Name,`` header line is found or the CSV is malformed (e.g. a field over 1 MB).
    """
    start = find_header(text)
    if start is None:
        raise UploadError(
            "This CSV is not LinkedIn's Connections.csv: no header line starting with "
            "'First Name,' was found. Upload the Connections.csv from LinkedIn's data export, "
            "or a list with one profile URL per line.")
    body = text[start:].lstrip("\ufeff")
    stats = {"rows": 0, "people": 0, "blank_rows": 0, "skipped_no_url": 0, "invalid_url": 0,
             "duplicates": 0}
    people: list[Follower] = []
    seen: dict[str, int] = {}
    old_limit = csv.field_size_limit()
    csv.field_size_limit(_MAX_FIELD)
    try:
        reader = csv.DictReader(io.StringIO(body, newline=""), restkey="_extra")
        if reader.fieldnames:
            reader.fieldnames = [(f or "").strip().lstrip("\ufeff") for f in reader.fieldnames]
        for row in reader:
            stats["rows"] += 1
            values = [_cell(row, c) for c in COLUMNS if c != "Connected On"]
            if not any(values):
                stats["blank_rows"] += 1
                continue
            first, last, url, _email, company, position = values
            if not url:
                stats["skipped_no_url"] += 1
                continue
            ref = profile_ref(url)
            if ref is None:
                stats["invalid_url"] += 1
                continue
            aliases = [a for a in (ref.key, ref.profile_id) if a]
            if any(a in seen for a in aliases):
                stats["duplicates"] += 1
                continue
            for a in aliases:
                seen[a] = len(people)
            name = " ".join(p for p in (first, last) if p) or None
            people.append(Follower(
                key=ref.key, url=ref.url, profile_url=ref.profile_url,
                profile_id=ref.profile_id, vanity=ref.vanity, name=name,
                company=company or None, title=position or None, degree="1st"))
    except csv.Error as exc:
        raise UploadError(
            f"This Connections.csv could not be read (line {reader.line_num} after the header: "
            f"{exc}). Export it again from LinkedIn or check that the file is complete.") from exc
    finally:
        csv.field_size_limit(old_limit)
    stats["people"] = len(people)
    warnings: list[str] = []
    if stats["skipped_no_url"]:
        warnings.append(f"{stats['skipped_no_url']} connection(s) have no profile URL in the "
                        "export and were skipped (they cannot be enriched).")
    if stats["invalid_url"]:
        warnings.append(f"{stats['invalid_url']} row(s) have a URL that is not a LinkedIn "
                        "profile link and were skipped.")
    return ParsedUpload(kind="connections_csv", people=people, stats=stats, warnings=warnings)
