"""``page`` provider: the profile is what the uploaded file held (offline default).

A saved followers page gives name, headline and location; ``Connections.csv`` also gives the
current position and company (already in ``EnrichRequest.page.titles`` / ``.company``).
When no title is known, :func:`parse_headline` guesses a title and company from the headline.

Headline heuristic (documented, deliberately conservative; the scorer reads the full headline too):

1. Split on ``|``, ``•``, ``·``, `` - `` / `` – `` into segments.
2. The title comes from the first segment that contains a role word (CFO, VP, Head, Director,
   Founder, Partner, Manager, Geschäftsführer, Student, ...; see :data:`ROLE_WORDS`).
3. Inside that segment, ``"<title> at <company>"`` / ``"<title> @ <company>"`` split there;
   ``"<title>, <company>"`` splits at the first comma only when the part before it ends in a role
   that does not take a function after a comma (``Founder & CEO, Tessaract Labs`` splits;
   ``Director, Transaction Services`` and ``VP, Product`` do not; a complete "Chief … Officer"
   does: ``Chief Financial Officer, Quorvex Cloud``).
4. Otherwise the company is the next segment when it looks like a name: no role word, at most
   6 words, starts with an upper-case letter or digit, not ``ex-``/``former``/``helping``...
5. A trailing parenthetical is removed from the company (``Tessaract Labs (AI for procurement)``).
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache
from typing import Iterator, Sequence

from ..domain import Follower, Profile, is_name_key, name_company_key
from . import EnrichOutcome, EnrichRequest

#: Words that mark a job title in a headline (lower-case, matched as whole words).
ROLE_WORDS: tuple[str, ...] = (
    "ceo", "cfo", "cto", "coo", "cmo", "cro", "cpo", "cio", "ciso", "chro", "vp", "svp", "evp", "avp",
    "vice president", "president", "chief", "head", "director", "founder", "co-founder", "cofounder",
    "owner", "partner", "managing partner", "manager", "lead", "principal", "officer", "controller",
    "comptroller", "treasurer", "accountant", "analyst", "engineer", "developer", "consultant",
    "advisor", "adviser", "associate", "specialist", "coordinator", "recruiter", "student", "intern",
    "chair", "chairman", "chairwoman", "board member", "investor", "architect", "designer",
    "scientist", "researcher", "professor", "teacher", "retired", "executive", "administrator",
    "geschäftsführer", "geschaftsfuhrer", "inhaber", "leiter", "leiterin", "gerente", "directeur",
    "directrice", "responsable", "bookkeeper", "auditor", "entrepreneur", "freelancer", "cpa",
)
_ROLE_RE = re.compile(r"(?<![\w-])(" + "|".join(re.escape(w) for w in sorted(ROLE_WORDS, key=len, reverse=True))
                      + r")(?![\w-])", re.IGNORECASE)
#: Roles that usually take a function after a comma ("Director, Finance"): no company split there.
_FUNCTION_TAKERS = {"vp", "svp", "evp", "avp", "vice president", "director", "head", "manager", "lead",
                    "chief", "officer", "president", "associate", "specialist", "analyst", "engineer",
                    "senior director", "managing director", "executive director"}
_SEG_SPLIT = re.compile(r"\s*(?:\||•|·|\s[-–—]\s)\s*")
_AT_SPLIT = re.compile(r"\s+(?:at|@|bei|chez|en)\s+|\s*@\s*", re.IGNORECASE)
_NOT_COMPANY_START = re.compile(r"^(?:ex[-\s]|former|formerly|helping|i\s|we\s|building|passionate|"
                                r"love|lover|mentor|speaker|author|husband|wife|dad|mom|mum|father|mother)",
                                re.IGNORECASE)
_PAREN_TAIL = re.compile(r"\s*\([^)]*\)\s*$")


def _clean_company(s: str) -> str | None:
    s = _PAREN_TAIL.sub("", s).strip(" ,;:-–")
    return s or None


#: Regions that follow a comma in titles ("Chief Revenue Officer, EMEA"): never a company.
_REGIONS = {"emea", "apac", "amer", "americas", "latam", "dach", "nordics", "benelux", "europe", "asia",
            "north america", "south america", "uk", "uk&i", "global", "worldwide", "international", "mena"}


def _looks_like_company(s: str) -> bool:
    if not s or _ROLE_RE.search(s) or _NOT_COMPANY_START.match(s) or s.lower() in _REGIONS:
        return False
    words = s.split()
    return len(words) <= 6 and (s[0].isupper() or s[0].isdigit())


@lru_cache(maxsize=1 << 17)
def parse_headline(headline: str | None) -> tuple[str | None, str | None]:
    """Guess ``(title, company)`` from a LinkedIn headline (heuristic in the module docstring).

    ``"VP Finance at Quillstone Systems | SaaS metrics nerd"`` -> ``("VP Finance", "Quillstone Systems")``;
    ``"CFO | Vantrella Health | ex-Big4"`` -> ``("CFO", "Vantrella Health")``;
    ``"Helping founders | Fractional CFO"`` -> ``("Fractional CFO", None)``;
    ``"Chief Financial Officer, Quorvex Cloud"`` -> ``("Chief Financial Officer", "Quorvex Cloud")``;
    no role word -> ``(None, None)``. Pure, so memoised (a run parses each headline at ingest,
    in the page provider and for the linking key; 2**17 entries cover a 100k upload).
    """
    if not headline:
        return None, None
    h = headline.strip()
    if not h or h in {"--", "-"}:
        return None, None
    segs = [s.strip() for s in _SEG_SPLIT.split(h) if s and s.strip()]
    for i, seg in enumerate(segs):
        if not _ROLE_RE.search(seg):
            continue
        parts = _AT_SPLIT.split(seg, maxsplit=1)
        if len(parts) == 2 and parts[0].strip() and parts[1].strip():
            return parts[0].strip(" ,"), _clean_company(parts[1])
        if "," in seg:
            before, after = (p.strip() for p in seg.split(",", 1))
            roles = _ROLE_RE.findall(before)
            last_role = roles[-1].lower() if roles else ""
            complete_c_level = last_role == "officer" and "chief" in before.lower()  # "Chief X Officer, Co"
            if (roles and before.lower().endswith(last_role)
                    and (last_role not in _FUNCTION_TAKERS or complete_c_level)
                    and _looks_like_company(_clean_company(after) or "")):
                return before, _clean_company(after)
        company = None
        if i + 1 < len(segs):
            nxt = _clean_company(segs[i + 1]) or ""
            if _looks_like_company(nxt):
                company = nxt
        return seg, company
    return None, None


def linking_key(name: str | None, company: str | None, headline: str | None = None) -> str | None:
    """The name + company key (:func:`~icp_engine.domain.name_company_key`) a lead is linked on:
    the company as given, else the one :func:`parse_headline` finds in the headline
    (``"CFO at Quillstone Systems"``). None without a name. Pure.

    ``linking_key("Nora Vidal", None, "VP Finance at Quillstone Systems Ltd")`` ->
    ``"name:nora vidal|quillstone systems"``; without any company -> ``"name:nora vidal|"``.
    """
    if not company and headline:
        company = parse_headline(headline)[1]
    return name_company_key(name, company)


def follower_linking_key(f: Follower) -> str | None:
    """:func:`linking_key` of an uploaded follower; a follower without a profile URL is keyed by
    it already (``f.key``)."""
    if is_name_key(f.key):
        return f.key
    return linking_key(f.name, f.company, f.headline)


def profile_from_page(req: EnrichRequest) -> Profile:
    """The page's :class:`Profile` for a request, with title/company guessed from the headline
    when the page gave none (``source`` = ``"page"`` unless the page set one, e.g. ``connections``)."""
    page = req.page or Profile()
    prof = replace(page, titles=list(page.titles), past_roles=list(page.past_roles), skills=list(page.skills))
    if not prof.source:
        prof.source = "page"
    prof.profile_id = prof.profile_id or req.profile_id
    prof.vanity = prof.vanity or req.vanity
    if not prof.titles:
        title, company = parse_headline(prof.headline)
        if title:
            prof.titles = [title]
        if company and not prof.company:
            prof.company = company
    return prof


class PageProvider:
    """Enrichment from the upload itself: no network, never fails (``name = "page"``).

    ``enrich(requests)`` yields one successful :class:`EnrichOutcome` per request, its profile
    from :func:`profile_from_page` (``item`` is None: nothing to cache).
    """

    name = "page"

    def enrich(self, requests: Sequence[EnrichRequest]) -> Iterator[EnrichOutcome]:
        for req in requests:
            yield EnrichOutcome(lead_id=req.lead_id, profile=profile_from_page(req))
