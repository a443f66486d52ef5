"""Match scraped items back to the leads that asked for them (FORMATS.md §B.4).

Order of evidence, per item:

1. ``profileId`` (``ACoAA…``, case kept) against the request's ``profile_id`` (or its key when the
   key is a profile id);
2. ``publicIdentifier`` (lower-cased, percent-decoded) against the request's ``vanity`` (or its
   key when the key is a vanity);
3. the item's ``inputUrl`` against the request's ``url``, both normalised by
   :func:`url_identity` (host, ``/in/<x>`` segment, query and sub-pages dropped; an
   ``ACoAA`` id in ``miniProfileUrn`` also counts).

Never by position: the actor returns items in completion order. One item may satisfy several
requests (two leads of the same person, one known by vanity and one by id); a request takes the
first item that matches it. A request that carries a *different* ``ACoAA`` id than the item is
never matched by vanity or URL (a vanity can be released and reused by another member).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence
from urllib.parse import parse_qs, unquote, urlsplit

from ..domain import is_name_key
from . import EnrichRequest
from .extract import PROFILE_ID_RE, item_keys, normalise_vanity

_MINI_RE = re.compile(r"(ACoAA[A-Za-z0-9_-]{34})")


def url_identity(url: str | None) -> tuple[str | None, str | None]:
    """``(key, alias_profile_id)`` of a LinkedIn profile URL, or ``(None, None)``.

    ``key`` is the ``ACoAA…`` id (case kept) when the ``/in/`` segment is one, else the
    lower-cased, percent-decoded vanity. ``alias_profile_id`` is the id carried by a
    ``miniProfileUrn`` query parameter, if any. Accepts absolute, scheme-less and relative
    (``/in/x``) forms and any ``*.linkedin.com`` host; other URLs give ``(None, None)``.
    """
    if not url or not isinstance(url, str):
        return None, None
    raw = url.strip()
    if raw.startswith("/"):
        raw = "https://www.linkedin.com" + raw
    elif "://" not in raw:
        raw = "https://" + raw
    try:
        parts = urlsplit(raw)
    except ValueError:
        return None, None
    host = (parts.hostname or "").lower()
    if not (host == "linkedin.com" or host.endswith(".linkedin.com")):
        return None, None
    segs = [s for s in parts.path.split("/") if s]
    if len(segs) < 2 or segs[0].lower() != "in":
        return None, None
    seg = unquote(segs[1]).strip()
    alias = None
    mpu = parse_qs(parts.query).get("miniProfileUrn")
    if mpu:
        m = _MINI_RE.search(mpu[0])
        alias = m.group(1) if m else None
    if PROFILE_ID_RE.match(seg):
        return seg, alias
    return (seg.lower() or None), alias


@dataclass
class MatchResult:
    """Outcome of :func:`match_items`.

    ``pairs``: ``(request, item, how)`` with ``how`` in ``profileId`` / ``publicIdentifier`` /
    ``inputUrl``. ``unmatched_items``: items that matched no request. ``missing``: requests that
    no item matched.
    """

    pairs: list[tuple[EnrichRequest, dict[str, Any], str]] = field(default_factory=list)
    unmatched_items: list[dict[str, Any]] = field(default_factory=list)
    missing: list[EnrichRequest] = field(default_factory=list)


def request_identities(req: EnrichRequest) -> tuple[set[str], set[str], set[str]]:
    """``(profile_ids, vanities, url_keys)`` known for a request (see module docstring)."""
    pids: set[str] = set()
    vans: set[str] = set()
    if req.profile_id:
        pids.add(req.profile_id.strip())
    if req.vanity:
        v = normalise_vanity(req.vanity)
        if v:
            vans.add(v)
    if req.key and not is_name_key(req.key):  # a name + company key is no LinkedIn identity
        if PROFILE_ID_RE.match(req.key):
            pids.add(req.key)
        else:
            v = normalise_vanity(req.key)
            if v:
                vans.add(v)
    urlkeys: set[str] = set()
    key, alias = url_identity(req.url)
    if key:
        urlkeys.add(key)
    if alias:
        pids.add(alias)
    return pids, vans, urlkeys


def match_items(requests: Sequence[EnrichRequest], items: Iterable[dict[str, Any]]) -> MatchResult:
    """Pair items with requests by profileId, then publicIdentifier, then inputUrl (never position).

    ``requests``: the leads asked for; ``items``: scraped dataset items (any actor shape known to
    :func:`~icp_engine.enrich.extract.item_keys`). Non-dict items are ignored. Returns a
    :class:`MatchResult`; every request is either in ``pairs`` (once) or in ``missing``.
    """
    by_pid: dict[str, list[EnrichRequest]] = {}
    by_van: dict[str, list[EnrichRequest]] = {}
    by_url: dict[str, list[EnrichRequest]] = {}
    for r in requests:
        pids, vans, urls = request_identities(r)
        for p in pids:
            by_pid.setdefault(p, []).append(r)
        for v in vans:
            by_van.setdefault(v, []).append(r)
        for u in urls:
            by_url.setdefault(u, []).append(r)

    done: set[int] = set()
    result = MatchResult()
    for item in items:
        if not isinstance(item, dict):
            continue
        pid, van, input_url = item_keys(item)
        ukey, alias = url_identity(input_url)
        levels = [
            ("profileId", by_pid.get(pid, []) if pid else []),
            ("publicIdentifier", by_van.get(van, []) if van else []),
            ("inputUrl", (by_url.get(ukey, []) if ukey else []) + (by_pid.get(alias, []) if alias else [])),
        ]
        matched_any = False
        for how, hits in levels:
            for r in hits:
                if id(r) in done:
                    matched_any = True
                    continue
                # a request that names another profile id is another person (reused vanity/URL)
                if how != "profileId" and pid and r.profile_id and r.profile_id != pid:
                    continue
                done.add(id(r))
                matched_any = True
                result.pairs.append((r, item, how))
        if not matched_any:
            result.unmatched_items.append(item)
    result.missing = [r for r in requests if id(r) not in done]
    return result
