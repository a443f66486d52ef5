"""Which side each speaker is on: the client (states what they want) or the agency (asks).

Evidence, strongest first (:func:`assign_roles`):

1. the speaker's e-mail (Fathom ``matched_calendar_invitee_email``): on a client domain -> client;
   on an agency domain or the recorder's domain -> agency; else the invitee's ``is_external``
   (the agency records its calls, so external invitees are the client's people);
2. a speaker name equal to a calendar invitee's name (unmatched speakers have no e-mail);
3. the company in a ``Name (Company)`` label (Fathom's copied text) resembling the client's name, a
   client domain or a word of the call title;
4. who asks: when some speakers are known, an unknown speaker asking at least half of the time is
   the agency; when none is known, the speaker asking most (at least 30 % questions) is.

Speakers nothing decides stay ``"unknown"`` (the extractors weight them between the two sides).
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Iterable

from rapidfuzz import fuzz

from .model import Call, Utterance

__all__ = ["assign_roles", "domain_stem"]

_GENERIC = {"the", "and", "of", "ltd", "limited", "inc", "llc", "gmbh", "group", "co", "company", "x", "call",
            "meeting", "review", "sync", "icp", "discovery", "kick", "off", "update", "session", "workshop",
            "follow", "up", "check", "in", "monthly", "weekly", "content", "planning", "interview", "case",
            "study", "software", "finance", "health", "care", "security", "analytics", "wealth", "legal"}


def domain_stem(domain: str) -> str:
    """The distinctive part of an e-mail domain: ``"mail.harbourline.co.uk"`` -> ``"harbourline"``."""
    parts = [p for p in domain.lower().split(".") if p]
    parts = [p for p in parts if p not in {"www", "mail", "co", "com", "org", "net", "io", "uk", "example", "ai"}]
    return parts[-1] if parts else domain.lower()


def _norm(s: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", s.lower()).strip()


def _company_is_client(company: str, client_name: str | None, client_domains: Iterable[str]) -> bool:
    c = _norm(company)
    if not c:
        return False
    if client_name and fuzz.token_set_ratio(c, _norm(client_name)) >= 85:
        return True
    cj = c.replace(" ", "")
    return any(len(st := domain_stem(d)) >= 3 and (st in cj or cj in st) for d in client_domains)


def _is_question(text: str) -> bool:
    t = text.strip()
    return t.endswith("?") or bool(re.match(r"^(so )?(who|what|which|how|where|when|why|do|does|is|are|any|anything|"
                                            r"would|could|can|should)\b", t, re.I)) and "?" in t


def assign_roles(
    call: Call,
    *,
    client_domains: Iterable[str] = (),
    agency_domains: Iterable[str] = (),
    client_name: str | None = None,
) -> Call:
    """A copy of ``call`` whose utterances carry ``role`` ``client`` / ``agency`` / ``unknown``.

    ``client_domains``/``agency_domains``: e-mail domains (``"harbourline.example"``), case-insensitive;
    ``client_name``: the client's name as the agency knows it. Pure; never raises.
    """
    cdom = {d.lower().lstrip("@") for d in client_domains if d}
    adom = {d.lower().lstrip("@") for d in agency_domains if d}
    if call.recorded_by_domain and call.recorded_by_domain not in cdom:
        adom.add(call.recorded_by_domain)
    ext_by_email = {i.email: i.is_external for i in call.invitees if i.email}
    ext_by_name = {_norm(i.name): (i.email, i.is_external) for i in call.invitees if i.name}

    def by_email(email: str | None) -> str | None:
        if not email:
            return None
        dom = email.split("@", 1)[-1]
        if dom in cdom:
            return "client"
        if dom in adom:
            return "agency"
        ext = ext_by_email.get(email)
        if ext is True:
            return "client"
        if ext is False:
            return "agency"
        return None

    roles: dict[str, str] = {}
    companies: dict[str, str] = {}
    for u in call.utterances:
        if u.company:
            companies.setdefault(u.speaker, u.company)
        r = by_email(u.email)
        if r is None and u.speaker not in roles:
            inv = ext_by_name.get(_norm(u.speaker))
            if inv:
                r = by_email(inv[0]) or ({True: "client", False: "agency"}.get(inv[1]) if inv[1] is not None else None)
        if r and u.speaker not in roles:
            roles[u.speaker] = r
    # company labels
    title_words = {w for w in _norm(call.title).split() if len(w) >= 4 and w not in _GENERIC}
    distinct = set(companies.values())
    client_companies = {c for c in distinct if _company_is_client(c, client_name, cdom)}
    if not client_companies and title_words:
        client_companies = {c for c in distinct if title_words & set(_norm(c).split())}
    for sp, comp in companies.items():
        if sp in roles:
            continue
        if comp in client_companies:
            roles[sp] = "client"
        elif client_companies and len(distinct) == 2:
            roles[sp] = "agency"
    # questions
    asked: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for u in call.utterances:
        asked[u.speaker][0] += _is_question(u.text)
        asked[u.speaker][1] += 1
    unknown = [s for s in call.speakers if s not in roles]
    if unknown:
        if roles:
            for s in unknown:
                q, n = asked[s]
                if n >= 2 and q / n >= 0.5 and "agency" not in roles.values():
                    roles[s] = "agency"
        else:
            share = {s: asked[s][0] / asked[s][1] for s in unknown if asked[s][1] >= 2}
            if share:
                top = max(share, key=lambda s: share[s])
                if share[top] >= 0.3 and len(unknown) >= 2:
                    roles[top] = "agency"
    return call.with_utterances([
        Utterance(speaker=u.speaker, text=u.text, seconds=u.seconds, email=u.email, company=u.company,
                  role=roles.get(u.speaker, "unknown"))
        for u in call.utterances
    ])
