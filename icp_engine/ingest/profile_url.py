"""Canonical LinkedIn profile keys from any link form (FORMATS.md §A.3 and §A.5).

:func:`profile_ref` turns an ``href`` as found in a saved page, a CSV cell or a pasted list into
a :class:`ProfileRef`, or ``None`` when the link is not a member profile (``/company/``,
``/school/``, ``/search/...headless``, Sales Navigator ``/sales/lead/``, other hosts...).

Key rule (§A.5, without the ``urn:`` / ``vanity:`` prefixes): the second path segment of an
``/in/`` link, percent-decoded; if it is a profile URN id (``ACoAA`` + 34 chars of
``[A-Za-z0-9_-]``, 39 chars, case-sensitive) the key is that id with its case kept, otherwise
the key is the lower-cased vanity name. Query strings and fragments never change the key;
``?miniProfileUrn=urn:li:fs_miniProfile:ACoAA…`` only adds the id as an alias
(``profile_id``). Sub-pages (``/in/<v>/recent-activity/all/``, ``/in/<v>/en``) are cut to the
first segment; locale hosts (``de.linkedin.com``, ``linkedin.com``, ``m.linkedin.com``) and
``http://`` are normalised in :attr:`ProfileRef.profile_url`.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from urllib.parse import quote, unquote, urljoin, urlsplit

#: ``ACoAA`` + 34 url-safe base64 chars: the profile URN id (FORMATS.md §A.3, confidence H).
PROFILE_ID_RE = re.compile(r"ACoAA[A-Za-z0-9_-]{34}")
_PROFILE_ID_FULL = re.compile(r"^ACoAA[A-Za-z0-9_-]{34}$")
#: Characters a vanity name never contains (whitespace, controls, URL delimiters, markup).
_BAD_VANITY = re.compile(r"[\s\x00-\x1f\x7f/?#<>\"'\\`{}|^\[\]\ufffd&=+,;:@$!*()%]")
_MAX_SEGMENT = 200  # LinkedIn allows 3-100 chars for custom URLs; leave room for encodings
_MAX_HREF = 8192  # longer "links" are junk (e.g. data: URIs or tracking blobs)
_BASE = "https://www.linkedin.com/"
_BARE_HOST = re.compile(r"^(?:[a-z0-9-]+\.)*linkedin\.com(?::\d+)?(?:[/?#]|$)", re.IGNORECASE)
#: Query parameters that carry the member's profile id (``urn:li:fs_miniProfile:ACoAA…``).
_ID_QUERY = re.compile(r"(?:^|[&;])(?:miniProfileUrn|miniprofileurn|profileUrn)=([^&;#]*)")
_SAFE = re.compile(r"^[A-Za-z0-9_.~-]+$")
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
#: Fast path for the two commonest clean forms (absolute www / relative); others go via urljoin.
_FAST = re.compile(r"^(?:https://www\.linkedin\.com)?/in/([A-Za-z0-9_.~%\u00c0-\uffff-]{1,300})/?"
                   r"(?:\?([A-Za-z0-9_.~%&=+-]*))?$")


@dataclass(frozen=True)
class ProfileRef:
    """One member profile link, canonicalised.

    * ``key`` - canonical key: the ``ACoAA…`` id (39 chars, case kept) when the path holds the
      id, else the lower-cased, percent-decoded vanity name. No ``urn:`` / ``vanity:`` prefix.
    * ``profile_id`` - ``ACoAA…`` id from the path or the ``miniProfileUrn`` query, else None.
    * ``vanity`` - lower-cased decoded vanity name, or None when the path holds the id.
    * ``url`` - the link as found: HTML entities unescaped, resolved against
      ``https://www.linkedin.com/`` (query string kept; this is what a scraper is sent).
    * ``profile_url`` - ``https://www.linkedin.com/in/<key>`` (non-ASCII percent-encoded as
      UTF-8), the clean form for export; ``profile_ref(profile_url).key == key``.
    """

    key: str
    url: str
    profile_url: str
    profile_id: str | None = None
    vanity: str | None = None


def is_profile_id(value: str | None) -> bool:
    """True when ``value`` is exactly an ``ACoAA…`` profile URN id (39 chars, case-sensitive)."""
    return bool(value) and _PROFILE_ID_FULL.match(value) is not None


def id_from_urn(value: str | None) -> str | None:
    """The ``ACoAA…`` id at the end of a URN such as ``urn:li:fs_miniProfile:ACoAA…`` (or a bare
    id), else None. Accepts ``fs_miniProfile``, ``fsd_profile``, ``fs_profile`` URNs alike."""
    if not value:
        return None
    tail = value.rsplit(":", 1)[-1].strip()
    return tail if is_profile_id(tail) else None


def clean_profile_url(ident: str) -> str:
    """``https://www.linkedin.com/in/<ident>`` with the identifier percent-encoded (UTF-8)."""
    if _SAFE.match(ident):
        return _BASE + "in/" + ident
    return _BASE + "in/" + quote(ident, safe="-_.~")


def profile_ref(href: str) -> ProfileRef | None:
    """Canonicalise one link; ``None`` when it is not a LinkedIn member-profile (``/in/``) link.

    Accepts absolute, scheme-less (``linkedin.com/in/x``, ``//www.linkedin.com/in/x``) and
    relative (``/in/x/``) links, HTML-escaped or not (``&amp;``). Never raises: junk input
    (non-strings, over-long strings, malformed URLs, undecodable escapes) gives ``None``.
    """
    if not isinstance(href, str):
        return None
    raw = href.strip()
    if not raw or len(raw) > _MAX_HREF:
        return None
    if "&" in raw:  # only ';'-terminated entities: "&lipi=" must stay as it is
        raw = _ENTITY.sub(lambda m: html.unescape(m.group(0)), raw)
    raw = raw.strip()
    fast = _FAST.match(raw)
    if fast is not None:
        url = raw if raw[0] != "/" else _BASE[:-1] + raw
        return _build(url, fast.group(1), fast.group(2) or "")
    if _BARE_HOST.match(raw):
        raw = "https://" + raw
    try:
        url = urljoin(_BASE, raw)
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https"):
        return None
    if host != "linkedin.com" and not host.endswith(".linkedin.com"):
        return None
    segs = [s for s in parts.path.split("/") if s]
    if len(segs) < 2 or segs[0].lower() != "in":
        return None
    return _build(url, segs[1], parts.query)


def _build(url: str, segment: str, query: str) -> ProfileRef | None:
    ident = _decode_segment(segment)
    if ident is None:
        return None
    profile_id: str | None
    vanity: str | None
    if is_profile_id(ident):
        key = profile_id = ident
        vanity = None
    else:
        key = vanity = ident.lower()
        if _BAD_VANITY.search(vanity) or not _valid_unicode(vanity):
            return None
        profile_id = _id_from_query(query)
    return ProfileRef(key=key, url=url, profile_url=clean_profile_url(key),
                      profile_id=profile_id, vanity=vanity)


def _decode_segment(seg: str) -> str | None:
    if len(seg) > 3 * _MAX_SEGMENT:
        return None
    if "%" not in seg:
        ident = seg.strip()
    else:
        try:
            ident = unquote(seg, errors="strict").strip()
        except UnicodeDecodeError:
            return None
    if not ident or len(ident) > _MAX_SEGMENT or _BAD_VANITY.search(ident):
        return None
    if not ident.strip(".-_~"):  # "..", "-": path tricks, not names
        return None
    return ident


def _valid_unicode(s: str) -> bool:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates
        return False
    return True


def _id_from_query(query: str) -> str | None:
    if not query or "rofile" not in query.lower():
        return None
    for m in _ID_QUERY.finditer(query):
        raw = m.group(1)
        tail = raw[-39:]
        if is_profile_id(tail) and (raw[-42:-39].upper() == "%3A" or raw[-40:-39] == ":"):
            return tail  # the usual urn%3Ali%3Afs_miniProfile%3AACoAA… without decoding
        try:
            value = unquote(m.group(1).replace("+", " "), errors="strict")
        except UnicodeDecodeError:
            continue
        pid = id_from_urn(value)
        if pid:
            return pid
    return None


def canonical_key(href: str) -> str | None:
    """Shortcut: ``profile_ref(href).key`` or None."""
    ref = profile_ref(href)
    return ref.key if ref else None
