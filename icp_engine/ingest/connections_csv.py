"""LinkedIn's ``Connections.csv`` export (FORMATS.md §C and §H) -> followers.

Layouts seen in real exports (§H):

* 2024+: an optional preamble (``Notes:``, a quoted paragraph, an empty line), then
  ``First Name,Last Name,URL,Email Address,Company,Position,Connected On``;
* 2018-2023: the same **without the URL column**
  (``First Name,Last Name,Email Address,Company,Position,Connected On``), with the preamble, or
  without it when Excel re-saved the file (CRLF, dates such as ``9-Sep-22``);
* 2018 dates like ``"1/8/18, 6:14 PM"`` (US month first) next to the usual ``05 Oct 2020``; an
  ``Email Address`` cell may hold ``urn:li:member:<digits>`` instead of an address;
* user-edited copies, e.g. ``;``-separated with only ``First Name;Company;Position;Connected On``.

The header is the first line (of the first 200) that starts with ``First Name`` followed by
``,`` ``;`` or a tab, quoted or not; that character is the delimiter (the header is known, so
this is exact where :class:`csv.Sniffer` guesses). Columns are found by name, case-insensitive,
in any order; only ``First Name`` is required. CRLF / LF, a UTF-8 BOM and standard CSV quoting
(``"Kestrel & Finch Advisory, LLP"``, doubled quotes) are handled by :mod:`csv`; ``Connected On``
is read with ``datetime.strptime`` for LinkedIn's own format and python-dateutil for the rest.

Every row with a name or a profile URL becomes a :class:`~icp_engine.domain.Follower` with
``name`` (first + last), ``company``, ``title`` (``Position``), ``headline`` built from them
(``"Procurement Manager at Veldmark Staffing"``), ``degree="1st"`` and ``connected_on``:

* with a member profile URL: keyed by the URL (:func:`~.profile_url.profile_ref`);
* without one (no URL column, an empty cell, or a link that is not a member profile): keyed by
  name + company (:func:`~icp_engine.domain.name_company_key`), ``has_url=False`` and empty
  ``url`` / ``profile_url``. Such leads are scored on position and company; a live scraper
  cannot look them up. Counted in ``stats["people_without_url"]`` with a warning.

Skipped, with counts in ``stats``: ``blank_rows`` (every cell empty except the date: deactivated
members), ``skipped_no_name`` (no name and no usable URL), ``duplicates`` (the same person again:
same URL key / profile id, or the same name + company). ``invalid_url`` counts rows whose URL
cell is not a member profile link (kept by name when they have one).
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime

from ..domain import Follower, name_company_key
from ._types import ParsedUpload, UploadError
from .profile_url import profile_ref

_HEADER_RE = re.compile(r'^\ufeff?\s*"?First Name"?\s*([,;\t])', re.IGNORECASE)
_SCAN_LINES = 200  # the header is on line 4 in real exports; allow generous preambles
_MAX_FIELD = 1_000_000
#: The export's columns (2024+ order). Older exports lack ``URL``; edited copies lack more.
COLUMNS = ("First Name", "Last Name", "URL", "Email Address", "Company", "Position", "Connected On")
#: Header spellings accepted per column (lower-cased, spaces collapsed).
_ALIASES: dict[str, tuple[str, ...]] = {
    "First Name": ("first name",),
    "Last Name": ("last name",),
    "URL": ("url", "profile url", "linkedin url", "linkedin profile", "profile"),
    "Email Address": ("email address", "email", "e-mail address", "e-mail"),
    "Company": ("company", "company name", "organization", "organisation"),
    "Position": ("position", "title", "job title"),
    "Connected On": ("connected on", "connected", "connection date"),
}
_MEMBER_URN_RE = re.compile(r"^urn:li:member:\d{1,20}$")
_DATE_FORMATS = ("%d %b %Y", "%d-%b-%y", "%d-%b-%Y", "%Y-%m-%d")


def find_header(text: str) -> int | None:
    """Character offset of the ``First Name,…`` (or ``;`` / tab) header line in the first 200
    lines, or None."""
    found = _find_header(text)
    return found[0] if found else None


def _find_header(text: str) -> tuple[int, str] | None:
    pos = 0
    for _ in range(_SCAN_LINES):
        end = text.find("\n", pos)
        line = text[pos:] if end < 0 else text[pos:end]
        m = _HEADER_RE.match(line)
        if m:
            return pos, m.group(1)
        if end < 0:
            return None
        pos = end + 1
    return None


def is_connections_csv(text: str) -> bool:
    """True when ``text`` has the ``Connections.csv`` header within its first 200 lines."""
    return _find_header(text) is not None


def parse_connected_on(value: str | None) -> str | None:
    """ISO date (``YYYY-MM-DD``) of a ``Connected On`` cell, or None when empty / unreadable.

    ``"05 Oct 2020"`` (LinkedIn's format), ``"9-Sep-22"`` / ``"23-Apr-23"`` (Excel re-saves),
    ``"1/8/18, 6:14 PM"`` (2018 exports: month first) -> ``"2020-10-05"``, ``"2022-09-09"``,
    ``"2023-04-23"``, ``"2018-01-08"``. Dates before 2003 (LinkedIn's launch) or in the future
    are rejected as misreadings.
    """
    s = (value or "").strip()
    if not s:
        return None
    d: date | None = None
    for fmt in _DATE_FORMATS:
        try:
            d = datetime.strptime(s, fmt).date()
            break
        except ValueError:
            continue
    if d is None:
        from dateutil import parser as dateparser

        try:
            d = dateparser.parse(s, dayfirst=False, fuzzy=False).date()
        except (ValueError, OverflowError, TypeError):
            return None
    if d.year < 2003 or d > date.today():
        return None
    return d.isoformat()


def _cell(row: list[str], idx: int | None) -> str:
    if idx is None or idx >= len(row):
        return ""
    return " ".join((row[idx] or "").split())


def _column_index(header: list[str]) -> dict[str, int | None]:
    norm = [" ".join((h or "").strip().lstrip("\ufeff").strip('"').lower().split()) for h in header]
    out: dict[str, int | None] = {}
    for col, names in _ALIASES.items():
        out[col] = next((i for i, h in enumerate(norm) if h in names), None)
    return out


def _n(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def _headline(position: str, company: str) -> str | None:
    if position and company:
        return f"{position} at {company}"
    return position or company or None


def parse_connections_csv(text: str) -> ParsedUpload:
    """Parse the decoded text of a ``Connections.csv`` (any layout in the module docstring).

    Returns a :class:`ParsedUpload` of kind ``connections_csv`` (``people`` may be empty; the
    caller decides whether that is an error). ``stats``: ``rows``, ``people``,
    ``people_without_url``, ``blank_rows``, ``skipped_no_name``, ``invalid_url``, ``duplicates``,
    ``delimiter``, ``has_url_column``. Raises :class:`UploadError` when no ``First Name`` header
    line is found or the CSV is malformed (e.g. a field over 1 MB).
    """
    found = _find_header(text)
    if found is None:
        raise UploadError(
            "This CSV is not LinkedIn's Connections.csv: no header line starting with "
            "'First Name' was found. Upload the Connections.csv from LinkedIn's data export, "
            "or a list with one profile URL per line.")
    start, delimiter = found
    body = text[start:].lstrip("\ufeff")
    stats = {"rows": 0, "people": 0, "people_without_url": 0, "blank_rows": 0,
             "skipped_no_name": 0, "invalid_url": 0, "duplicates": 0,
             "delimiter": delimiter, "has_url_column": False}
    people: list[Follower] = []
    seen: dict[str, int] = {}
    dates: dict[str, str | None] = {}
    old_limit = csv.field_size_limit()
    csv.field_size_limit(_MAX_FIELD)
    reader = csv.reader(io.StringIO(body, newline=""), delimiter=delimiter)
    try:
        header = next(reader, [])
        idx = _column_index(header)
        stats["has_url_column"] = idx["URL"] is not None
        for row in reader:
            if not row or not any((c or "").strip() for c in row):
                continue  # an empty line (Excel pads some files with them)
            stats["rows"] += 1
            first, last = _cell(row, idx["First Name"]), _cell(row, idx["Last Name"])
            url, email = _cell(row, idx["URL"]), _cell(row, idx["Email Address"])
            company, position = _cell(row, idx["Company"]), _cell(row, idx["Position"])
            if not (first or last or url or email or company or position):
                stats["blank_rows"] += 1
                continue
            raw_date = _cell(row, idx["Connected On"])
            if raw_date not in dates:
                dates[raw_date] = parse_connected_on(raw_date)
            name = " ".join(p for p in (first, last) if p) or None
            ref = profile_ref(url) if url else None
            if url and ref is None:
                stats["invalid_url"] += 1
            if ref is not None:
                key, aliases = ref.key, [a for a in (ref.key, ref.profile_id) if a]
            else:
                key = name_company_key(name, company)
                if key is None:
                    stats["skipped_no_name"] += 1
                    continue
                aliases = [key]
            if any(a in seen for a in aliases):
                stats["duplicates"] += 1
                continue
            for a in aliases:
                seen[a] = len(people)
            member_urn = email if _MEMBER_URN_RE.match(email) else None
            common = dict(name=name, company=company or None, title=position or None,
                          headline=_headline(position, company), degree="1st",
                          member_urn=member_urn, connected_on=dates[raw_date])
            if ref is not None:
                people.append(Follower(key=ref.key, url=ref.url, profile_url=ref.profile_url,
                                       profile_id=ref.profile_id, vanity=ref.vanity, **common))
            else:
                stats["people_without_url"] += 1
                people.append(Follower(key=key, url="", profile_url="", has_url=False, **common))
    except csv.Error as exc:
        raise UploadError(
            f"This Connections.csv could not be read (line {reader.line_num} after the header: "
            f"{exc}). Export it again from LinkedIn or check that the file is complete.") from exc
    finally:
        csv.field_size_limit(old_limit)
    stats["people"] = len(people)
    warnings: list[str] = []
    n_no_url = stats["people_without_url"]
    if n_no_url:
        if not stats["has_url_column"]:
            what = ("This export has no profile URLs: it has no URL column (LinkedIn left it out "
                    f"of exports for years). Its {_n(n_no_url, 'connection')}")
        elif n_no_url == len(people):
            what = f"This export has no profile URLs. Its {_n(n_no_url, 'connection')}"
        else:
            what = (f"{n_no_url:,} of {len(people):,} connections in this export have no profile "
                    "URL. They")
        verb = "is" if what.endswith(" 1 connection") else "are"
        warnings.append(
            f"{what} {verb} kept as leads, scored on their position and company; live Apify "
            "enrichment cannot look them up.")
    if stats["skipped_no_name"]:
        warnings.append(f"{stats['skipped_no_name']:,} row(s) have no name and no profile URL and "
                        "were skipped.")
    if stats["invalid_url"]:
        warnings.append(f"{stats['invalid_url']:,} row(s) have a URL that is not a LinkedIn "
                        "profile link; they were kept by name and company where a name was given.")
    return ParsedUpload(kind="connections_csv", people=people, stats=stats, warnings=warnings)
