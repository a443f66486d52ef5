"""Pasted or uploaded lists of LinkedIn profile URLs -> followers.

Any text works: one URL per line, or URLs separated by commas, semicolons, tabs or spaces, a
``.txt`` file, or a ``.csv`` with a URL column (other cells are ignored). A URL may be absolute
(``https://de.linkedin.com/in/x``), scheme-less (``linkedin.com/in/x``, ``www.linkedin.com/in/x``)
or relative (``/in/x``), with any query string or sub-page; each is canonicalised by
:func:`icp_engine.ingest.profile_url.profile_ref` and deduped on its key (and ``miniProfileUrn``
id). Non-empty lines without any profile URL are counted in ``stats["ignored"]``; links to
companies, schools and other non-profile pages in ``stats["not_profiles"]``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..domain import Follower
from ._types import ParsedUpload
from .profile_url import profile_ref

#: A LinkedIn link (absolute, scheme-less or protocol-relative) or a relative ``/in/`` path that
#: starts a token (after a separator: base64 text such as ``…+/in/x…`` is not a path).
#: Subdomain labels are bounded ({1,63}, at most 5): an unbounded ``([a-z0-9-]+\.)*`` backtracks
#: quadratically on long runs of letters (50 kB took 13 s).
_URL_RE = re.compile(
    r"(?:(?:https?:)?//)?(?:[a-z0-9-]{1,63}\.){0,5}linkedin\.com/[^\s,;\"'<>|\\]*"
    r"|(?<![^\s,;\"'<>|(\[])/in/[^\s,;\"'<>|\\]+",
    re.IGNORECASE,
)
#: Lines longer than this are searched only around the places that can start a URL.
_LONG_LINE = 4096
_TRAILING = ".)]}:!>"


def parse_url_list(text: str) -> ParsedUpload:
    """Find every LinkedIn profile URL in ``text``.

    Returns a :class:`ParsedUpload` of kind ``url_list`` (``people`` may be empty; the caller
    decides whether that is an error). Never raises on odd text.
    """
    people: list[Follower] = []
    seen: set[str] = set()
    stats = {"lines": 0, "urls": 0, "people": 0, "duplicates": 0, "not_profiles": 0, "ignored": 0}
    for line in text.splitlines():
        if not line.strip():
            continue
        stats["lines"] += 1
        found = False
        # cheap test first: text without "/in/" or "linkedin" (60 MB of base64 junk) never reaches
        # the regex, which costs ~60 steps per character
        if "/in/" not in line and "linkedin" not in line.lower():
            if not _is_header(line):
                stats["ignored"] += 1
            continue
        for m in _matches(line):
            raw = m.group(0).rstrip(_TRAILING)
            stats["urls"] += 1
            ref = profile_ref(raw)
            if ref is None:
                stats["not_profiles"] += 1
                continue
            found = True
            aliases = [a for a in (ref.key, ref.profile_id) if a]
            if any(a in seen for a in aliases):
                stats["duplicates"] += 1
                continue
            seen.update(aliases)
            people.append(Follower(key=ref.key, url=ref.url, profile_url=ref.profile_url,
                                   profile_id=ref.profile_id, vanity=ref.vanity))
        if not found and not _is_header(line):
            stats["ignored"] += 1
    stats["people"] = len(people)
    warnings = []
    if stats["not_profiles"]:
        warnings.append(f"{stats['not_profiles']} LinkedIn link(s) are not member profiles "
                        "(companies, schools, posts...) and were skipped.")
    if stats["ignored"] and people:
        warnings.append(f"{stats['ignored']} line(s) hold no LinkedIn profile URL and were "
                        "ignored.")
    return ParsedUpload(kind="url_list", people=people, stats=stats, warnings=warnings)


def _matches(line: str) -> Iterator[re.Match[str]]:
    """:data:`_URL_RE` matches in ``line``; a very long line is searched only in windows around
    each ``linkedin.com`` / ``/in/`` (linear time instead of the regex at every character)."""
    if len(line) <= _LONG_LINE:
        yield from _URL_RE.finditer(line)
        return
    low = line.lower()
    starts: set[int] = set()
    for needle in ("linkedin.com", "/in/"):
        i = low.find(needle)
        while i != -1:
            starts.add(i)
            i = low.find(needle, i + 1)
    end = -1
    for pos in sorted(starts):
        if pos < end:
            continue
        m = _URL_RE.search(line, max(0, pos - 80, end), pos + 8192)
        if m is not None and m.start() >= end:
            end = m.end()
            yield m


def _is_header(line: str) -> bool:
    s = line.strip().strip('"').lower()
    return s in ("url", "urls", "profile url", "profile_url", "linkedin", "linkedin url") or (
        "url" in s and len(s) < 80 and "," in s and "linkedin.com" not in s)
