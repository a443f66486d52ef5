"""Words of discovery calls: job titles, industries, company sizes, locations, people to exclude, cues.

Written for this project from everyday B2B usage (no external data set). Industries resolve to
LinkedIn *Industry Codes V2* labels through :mod:`icp_engine.taxonomy` (its labels, legacy names and
aliases) plus the spoken forms below (``"NHS trusts"``, ``"care homes"``, ``"law firms"``); every
target label is checked against the taxonomy at import. Company sizes resolve to LinkedIn bands
(:data:`icp_engine.domain.SIZE_BANDS`); funding stages map to the bands such companies usually
have (a rule of thumb: seed 1-50, Series A 11-200, B 51-500, C 201-1000, D+ 501-5000 employees).

Main functions: :func:`find_titles`, :func:`find_industries`, :func:`find_sizes`,
:func:`find_locations`, :func:`find_categories`, :func:`find_keywords`, :func:`title_key`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from text_to_num import alpha2digit

from ..domain import SIZE_BANDS
from ..taxonomy import INDUSTRIES, INDUSTRY_ALIASES, V1_TO_V2, is_v2_label, named_size_bands
from .industry_forms import GENERIC_NOUNS, KIND_NOUNS, derived_forms

__all__ = ["Span", "find_titles", "find_industries", "find_sizes", "find_locations", "find_categories",
           "find_keywords", "title_key", "industry_key", "normalise_numbers", "BAND_BOUNDS"]


@dataclass(frozen=True)
class Span:
    """A thing found in a text: ``start``/``end`` character offsets, ``value`` as proposed,
    ``kind`` (field name) and ``basis`` (how it was read: ``word``, ``range``, ``bound``, ``named``,
    ``stage``, ``compound``)."""

    start: int
    end: int
    value: str
    kind: str
    basis: str = "word"


def _plural(word: str) -> str:
    """Regex of a word and its plural (``"company"`` -> ``compan(?:y|ies)``)."""
    w = re.escape(word)
    if word.endswith("y") and not word.endswith(("ey", "ay", "oy")):
        return w[:-1] + "(?:y|ies)"
    if word.endswith(("s", "x", "ch", "sh")):
        return w + "(?:es)?"
    return w + "s?"


def _singular(word: str) -> str:
    low = word.lower()
    if low.endswith("ies") and len(low) > 4:
        return word[:-3] + "y"
    if low.endswith(("sses", "shes", "ches", "xes")):
        return word[:-2]
    if low.endswith("s") and not low.endswith(("ss", "us", "is", "ops", "ics")) and len(low) > 3:
        return word[:-1]
    return word


# ===================================================================================== titles

#: C-level and other abbreviations said as letters, with their spelled-out forms (for keys).
ABBREV_TITLES: dict[str, str] = {
    "ceo": "chief executive officer", "cfo": "chief financial officer", "coo": "chief operating officer",
    "cto": "chief technology officer", "cio": "chief information officer", "cmo": "chief marketing officer",
    "cro": "chief revenue officer", "cpo": "chief product officer", "ciso": "chief information security officer",
    "chro": "chief human resources officer", "cno": "chief nursing officer", "cdo": "chief data officer",
    "cco": "chief commercial officer", "clo": "chief legal officer", "cso": "chief strategy officer",
    "cao": "chief accounting officer", "cxo": "chief executive", "cpto": "chief product and technology officer",
    "md": "managing director", "fd": "finance director", "gm": "general manager", "gc": "general counsel",
    "vp": "vice president", "svp": "senior vice president", "evp": "executive vice president",
    "hrd": "hr director", "cfos": "chief financial officer",
}
_SPELLED_TO_ABBREV = {v: k for k, v in ABBREV_TITLES.items() if v.startswith("chief ")}

#: Job functions that head words attach to ("Head of X", "X Director", "VP X", "X Manager").
FUNCTIONS: tuple[str, ...] = (
    "finance", "financial", "fp&a", "fpa", "procurement", "purchasing", "operations", "ops", "it",
    "information technology", "technology", "tech", "engineering", "product", "marketing", "sales", "revenue",
    "revenue operations", "revops", "sales operations", "marketing operations", "people", "hr",
    "human resources", "talent", "talent acquisition", "legal", "legal operations", "compliance", "risk",
    "security", "information security", "cyber security", "cybersecurity", "data", "analytics", "growth",
    "customer success", "customer experience", "partnerships", "design", "brand", "content", "communications",
    "comms", "commercial", "business development", "strategy", "performance", "quality", "supply chain",
    "logistics", "facilities", "estates", "property", "clinical", "nursing", "medical", "care",
    "learning and development", "l&d", "sustainability", "esg", "innovation", "digital", "transformation",
    "digital transformation", "research", "r&d", "manufacturing", "production", "plant", "site", "store",
    "office", "practice", "registered", "contract", "contracts", "tax", "treasury", "investor relations",
    "internal audit", "audit", "accounting", "payroll", "fleet", "transport", "health and safety", "safety",
    "infrastructure", "platform", "devops", "software", "payments", "credit", "underwriting", "claims", "pricing",
    "ecommerce", "e-commerce", "merchandising", "buying", "category", "events", "community", "education",
    "training", "customer service", "service", "delivery", "project", "programme", "program", "account",
    "accounts", "regional", "area", "country", "general", "corporate finance", "private equity", "wealth",
    "portfolio", "investment", "finance and operations", "people and culture", "culture", "workplace",
    "demand generation", "field marketing", "product marketing", "channel", "alliances", "industry",
)
_FUNC_ALT = "|".join(sorted((re.escape(f) for f in FUNCTIONS), key=len, reverse=True))
_DISPLAY_FUNC = {"it": "IT", "hr": "HR", "fp&a": "FP&A", "fpa": "FP&A", "r&d": "R&D", "l&d": "L&D", "esg": "ESG",
                 "revops": "RevOps", "ops": "Ops", "e-commerce": "E-commerce", "devops": "DevOps"}

#: Roles said on their own (singular display form -> regex of its spoken forms).
STANDALONE_ROLES: dict[str, str] = {
    "Founder": r"founders?|founder-ceos?",
    "Co-founder": r"co-?founders?",
    "Owner": r"(?:business |company |practice |clinic |shop |agency |home )?owners?|owner-managers?",
    "Managing Director": r"managing directors?",
    "Managing Partner": r"managing partners?",
    "General Manager": r"general managers?",
    "General Counsel": r"general counsels?",
    "Financial Controller": r"financial controllers?",
    "Controller": r"controllers?|comptrollers?",
    "Treasurer": r"treasurers?",
    "President": r"(?<!vice )(?<!vice-)presidents?",
    "Chief of Staff": r"chiefs? of staff",
    "Registered Manager": r"registered managers?",
    "Practice Manager": r"practice managers?",
    "Headteacher": r"head ?teachers?",
    "Bursar": r"bursars?",
    "Paralegal": r"paralegals?",
    "Recruiter": r"recruiters?|headhunters?|talent partners?",
    "Accountant": r"accountants?",
    "Lawyer": r"lawyers?|solicitors?|attorneys?",
    "Partner": r"(?:equity |senior )?partners at (?:law|accountancy|accounting|consulting) firms",
    "RevOps": r"revops(?: people| folks| leaders?| teams?)?",
    "Board Member": r"board members?|non-exec(?:utive)? directors?|neds?",
    "Principal": r"(?:school |college )principals?",
    "Principal Dentist": r"principal dentists?",
    "Dentist": r"(?<!principal )dentists?",
    "Orthodontist": r"orthodontists?",
    "GP": r"gps|gp partners?",
    "Pharmacist": r"pharmacists?",
    "Architect": r"(?<!solution )(?<!solutions )(?<!software )architects?",
    "Physiotherapist": r"physiotherapists?|physios",
    "Vet": r"vets|veterinary surgeons?",
}
_STANDALONE = [(disp, re.compile(r"(?<![\w-])(?:" + pat + r")(?![\w-])", re.I)) for disp, pat in STANDALONE_ROLES.items()]

_ABBREV_RE = re.compile(r"\b(CEO|CFO|COO|CTO|CIO|CMO|CRO|CPO|CISO|CHRO|CNO|CDO|CCO|CLO|CSO|CAO|CPTO|CXO|MD|FD|GM|GC|HRD)(s|'s)?\b")
_CHIEF_RE = re.compile(r"\bchiefs? (?!of staff\b)((?:[a-z&]+ ){1,3})officers?\b", re.I)

#: Words that cannot be part of the function of a title ("the", "usually", "big", "two", "okay"):
#: the title grammar takes any other word as a function word, so "head of food safety",
#: "development director" or "director of interconnection" need no list of functions.
TITLE_STOP = frozenset("""a an the this that these those some any all each every no not and or but nor if so as
    of at in on for to from with by about into onto over under after before than then there here when where
    who whom whose which what why how i me my we us our you your he him his she her it its they them their
    is are was were be been being am do does did have has had will would can could should shall may might
    must get gets got also just only even really very quite usually often always sometimes never mostly
    mainly maybe probably perhaps typically generally normally honestly basically actually literally
    definitely obviously like okay ok yes yeah yep no nope um uh erm hmm oh ah well right sure thanks
    good great new big small large real proper actual dedicated single former current typical usual other
    same only best main first last next whole own full little old young nice lovely brilliant amazing
    decent bad key top ideal perfect right wrong one two three four five six seven eight nine ten dozen
    couple few several many most more less lots plenty tons loads both either neither full-time part-time
    fractional interim outsourced""".split())
#: Seniority and scope words that stand before a function ("senior", "deputy", "group", "global").
SENIORITY_WORDS = frozenset("""senior junior associate assistant deputy executive chief principal lead group global
    national international regional divisional area country general head interim acting""".split())
#: Head nouns that make a title with any function word before them ("Rights Director", "Farm Manager").
_OPEN_HEADS = r"directors?|managers?|officers?|controllers?|coordinators?|administrators?|superintendents?|supervisors?|counsels?"
#: Head nouns that are also everyday words ("lead", "partner", "engineer"): only with a known function.
_CLOSED_HEADS = r"leads?|heads?|partners?|vps?|engineers?|analysts?|scientists?|specialists?"
#: "developer" is a job only for software; otherwise a company ("property developers").
_DEV_FUNCS = r"software|web|app|mobile|front-?end|back-?end|full-?stack|game|games|ios|android|java|python|salesforce|blockchain"
_W = r"(?:(?!(?:" + "|".join(sorted(TITLE_STOP - {"it", "us"}, key=len, reverse=True)) + r")\b)[A-Za-z][A-Za-z&-]*)"
_FUNC_PHRASE = r"(?:(?<![\w'’-])" + _W + r"(?: " + _W + r"){0,2})"
_HEAD_OF_RE = re.compile(r"\bheads? of (" + _FUNC_PHRASE + r")", re.I)
_X_HEAD_RE = re.compile(r"\b(" + _FUNC_ALT + r") heads\b", re.I)
_VP_RE = re.compile(r"\b(vps?|svps?|evps?|vice[- ]presidents?)( of)? (" + _FUNC_PHRASE + r")", re.I)
_X_ROLE_RE = re.compile(r"\b(" + _FUNC_PHRASE + r") (" + _OPEN_HEADS + r")\b", re.I)
_X_CLOSED_RE = re.compile(r"\b((?:" + _FUNC_ALT + r")(?: (?:" + _FUNC_ALT + r"))?) (" + _CLOSED_HEADS + r")\b", re.I)
_X_DEV_RE = re.compile(r"\b(" + _DEV_FUNCS + r") (developers?)\b", re.I)
_ROLE_OF_RE = re.compile(r"\b(directors?|managers?|vps?) of (?:the )?(" + _FUNC_PHRASE + r")", re.I)
_X_PEOPLE_RE = re.compile(r"\b(corporate finance|revenue operations|sales ops|legal ops|finance ops|fp&a) "
                          r"(?:people|folks|professionals|teams?|leaders)\b", re.I)
#: A bare "partner" is a title inside an organisation ("one of the partners"), or next to other titles.
_BARE_PARTNER_RE = re.compile(r"\b(one of the |the |a )(partners?)\b(?! (?:with|program|programme|network|ecosystem))", re.I)


def _func_words_ok(words: list[str], original: str) -> bool:
    """A function phrase is valid when no word is a pronoun written in lower case ("it", "us"),
    an adverb in -ly or a participle in -ed that is not a known function ("registered")."""
    for w in words:
        lw = w.lower()
        if lw in ("it", "us") and w != w.upper():
            return False
        if lw.endswith("ly") and lw not in FUNCTIONS:
            return False
        if lw.endswith("ed") and lw not in FUNCTIONS:
            return False
    return True


_FUNCTION_WORDS = frozenset(w for f in FUNCTIONS for w in f.split())


def _trim_before_head(phrase: str, text_before: str) -> str:
    """Words before a head noun that belong to the title: known function words and seniority/scope
    words; an unknown word only next to the head ("Rights Director", "Farm Manager") or, when the
    phrase opens a noun phrase (after "the", "a", a comma or the start), two ("Business Affairs
    Director"). So a verb before a title ("add operations managers") is left out."""
    words = phrase.split()
    known = [w.lower() in _FUNCTION_WORDS or w.lower() in SENIORITY_WORDS for w in words]
    opens = not text_before.strip() or bool(re.search(r"(?:\b(?:the|a|an|their|its|his|her)|[,;:.!?(])\s*$",
                                                      text_before, re.I))
    keep = len(words)
    for i in range(len(words) - 1, -1, -1):
        if known[i]:
            continue
        unknown_after = sum(1 for k in known[i + 1:] if not k)
        if i == len(words) - 1 or (opens and i == 0 and unknown_after <= 1):
            continue
        keep = len(words) - 1 - i
        break
    return " ".join(words[len(words) - keep:])


def _trim_func(phrase: str, *, keep: str) -> str:
    """Drop invalid words from the far end of a function phrase (``keep`` = "right" for words before a
    head noun, "left" for words after "head of")."""
    words = phrase.split()
    while words and not _func_words_ok(words, phrase):
        words = words[1:] if keep == "right" else words[:-1]
    return " ".join(words)


#: Indefinite mentions that name a role as a thing the company has / lacks / gets, not a target.
_NOT_TARGET_BEFORE = re.compile(
    r"\b(?:have|has|had|got|hire|hiring|hired|justify|afford|need|needs|get|put|place|provide|become|without|"
    r"than|replace|like|no|any|a proper|their own|there is no|there's no|isn't a|wasn't a|already)\s+(?:a |an |the )?"
    r"(?:(?:part-time|full-time|fractional|interim|outsourced|proper|dedicated|real|single|new)\s+)*$", re.I)
#: A colleague's own role ("he's joined us as head of marketing", "our CFO"): not a target.
_COLLEAGUE_BEFORE = re.compile(
    r"(?:\b(?:joined|joins|joining|hired|promoted|appointed|started|starting|works|working|worked|employed)\b"
    r"(?:\s+[\w']+){0,2}\s+as\s+(?:a |an |the |our |their |my )?|\b(?:our|my)\s+(?:new\s+|own\s+)?)$", re.I)
_SERVICE_ADJ = re.compile(r"\b(?:part-time|full-time|fractional|interim|outsourced)\s+$", re.I)


def _func_display(func: str) -> str:
    f = func.lower()
    if f in _DISPLAY_FUNC:
        return _DISPLAY_FUNC[f]
    out = []
    for w in func.split():
        lw = w.lower()
        if lw in _DISPLAY_FUNC:
            out.append(_DISPLAY_FUNC[lw])
        elif lw in ("and", "of", "&"):
            out.append(lw)
        elif len(w) > 1 and w.isupper():
            out.append(w)  # an acronym as said ("HR", "QA")
        else:
            out.append(lw.capitalize())
    return " ".join(out)


def _role_display(word: str) -> str:
    w = _singular(word.lower())
    w = {"vps": "vp", "svps": "svp", "evps": "evp"}.get(w, w)
    return {"vp": "VP", "svp": "SVP", "evp": "EVP", "vice president": "VP", "vice-president": "VP"}.get(w, w.capitalize())


def find_titles(text: str) -> list[Span]:
    """Job titles mentioned in ``text``, in the speaker's short form, singular.

    ``"CFOs, VPs of Finance and heads of FP&A"`` -> ``CFO``, ``VP of Finance``, ``Head of FP&A``.
    Overlaps resolve to the longest match. Mentions of a role as something a company has, hires or
    lacks (``"a full-time finance director"``, ``"got a proper CFO"``) are skipped. The ambiguous
    ``IT`` function counts only when written in capitals.
    """
    cands: list[Span] = []

    prio: dict[int, int] = {}

    def add(m: re.Match[str], value: str, start: int | None = None, end: int | None = None, rank: int = 0) -> None:
        s, e = (m.start() if start is None else start), (m.end() if end is None else end)
        cands.append(Span(s, e, value, "target_titles"))
        prio[len(cands) - 1] = rank

    for m in _ABBREV_RE.finditer(text):
        add(m, m.group(1))
    for m in _CHIEF_RE.finditer(text):
        words = m.group(1).strip()
        if words.lower() in ("executive",):
            add(m, "Chief Executive")
            continue
        add(m, "Chief " + " ".join(w if w == "and" else w.capitalize() for w in words.split()) + " Officer")
    for m in _HEAD_OF_RE.finditer(text):
        func = _trim_func(m.group(1), keep="left")
        if func:
            add(m, f"Head of {_func_display(func)}", end=m.start(1) + len(func))
    for m in _X_HEAD_RE.finditer(text):
        add(m, f"Head of {_func_display(m.group(1))}")
    for m in _VP_RE.finditer(text):
        func = _trim_func(m.group(3), keep="left")
        if not func:
            continue
        of = " of" if m.group(2) else ""
        add(m, f"{_role_display(m.group(1))}{of} {_func_display(func)}", end=m.start(3) + len(func))
    for m in list(_X_ROLE_RE.finditer(text)) + list(_X_CLOSED_RE.finditer(text)) + list(_X_DEV_RE.finditer(text)):
        func, role = m.group(1), m.group(2)
        func = _trim_func(func, keep="right")
        if func:
            func = _trim_before_head(func, text[:m.end(1) - len(func)])
        if not func:
            continue
        fstart = m.end(1) - len(func)
        fl = func.lower()
        if fl in ("general", "industry", "account", "accounts", "service") and role.lower().startswith(("lead", "head", "officer", "partner")):
            continue
        if role.lower().startswith(("engineer", "analyst", "scientist", "developer", "specialist")) and \
                fl in ("sales", "people", "care", "office", "site", "store", "practice", "registered", "general",
                       "regional", "area", "country", "industry", "account", "accounts", "service", "contract"):
            continue
        add(m, f"{_func_display(func)} {_role_display(role)}", start=fstart, rank=1)
    heads_with_func = {c.end for c in cands}
    for m in _ROLE_OF_RE.finditer(text):
        if m.end(1) in heads_with_func:
            continue  # "the operations director of the group": the function is before the head
        func = _trim_func(m.group(2), keep="left")
        if func:
            add(m, f"{_role_display(m.group(1))} of {_func_display(func)}", end=m.start(2) + len(func), rank=1)
    for m in _X_PEOPLE_RE.finditer(text):
        add(m, _func_display(m.group(1)), m.start(1), m.end(1))
    for disp, rx in _STANDALONE:
        for m in rx.finditer(text):
            add(m, disp)
    others = bool(cands)
    for m in _BARE_PARTNER_RE.finditer(text):
        if m.group(1).lower() == "one of the " or others:
            add(m, "Partner", start=m.start(2))
    # specific patterns before the open grammar, then longest first, no overlaps
    order = sorted(range(len(cands)), key=lambda i: (prio.get(i, 0), -(cands[i].end - cands[i].start), cands[i].start))
    cands = [cands[i] for i in order]
    taken: list[Span] = []
    blocked: list[Span] = []
    for c in cands:
        if any(c.start < t.end and t.start < c.end for t in taken + blocked):
            continue
        before = text[max(0, c.start - 40):c.start]
        nt = _NOT_TARGET_BEFORE.search(before)
        bare_no = nt is not None and re.fullmatch(r"(?:like|no)\s+", nt.group(0), re.I) is not None and \
            not re.search(r"\b(?:there's|there is|there isn't|there was|if)\s+no\s+$", before, re.I)
        if nt and not bare_no or _SERVICE_ADJ.search(before) or _COLLEAGUE_BEFORE.search(before):
            blocked.append(c)
            continue
        taken.append(c)
    return sorted(taken, key=lambda s: s.start)


_KEY_SUBS = [
    (r"\bvice[- ]presidents?\b", "vp"), (r"\bsvp\b|\bevp\b", "vp"), (r"&", " and "), (r"\bops\b", "operations"),
    (r"\brevops\b", "revenue operations"), (r"\bhr\b", "human resources"), (r"\bfpa\b", "fp and a"),
    (r"\bco-?founders?\b", "founder"), (r"\bfinancial controller\b", "controller"), (r"\bcomptroller\b", "controller"),
    (r"\bhead ?teacher\b", "headteacher"), (r"\bsolicitor\b|\battorney\b", "lawyer"),
    (r"\bit\b", "information technology"),
]


@lru_cache(maxsize=4096)
def title_key(title: str) -> str:
    """Matching key of a title: case, plural, ``of``, word order of ``X Director``/``Director of X``,
    ``VP of X``/``VP X`` and spelled-out/abbreviated C-level forms all give the same key.

    ``title_key("Chief Operating Officer") == title_key("COO")``;
    ``title_key("Director of Operations") == title_key("Operations Director") == title_key("ops directors")``.
    """
    t = " ".join(title.lower().replace("’", "'").split())
    t = re.sub(r"'s\b", "", t)
    words = [_singular(w) if w not in ("ops", "ics", "sales", "analytics", "operations", "logistics", "always")
             else w for w in t.split()]
    t = " ".join(words)
    t = ABBREV_TITLES.get(t, t)
    for pat, rep in _KEY_SUBS:
        t = re.sub(pat, rep, t)
    t = " ".join(t.split())
    if t in _SPELLED_TO_ABBREV:
        t = _SPELLED_TO_ABBREV[t]
    m = re.match(r"^(director|manager|vp|head|lead) of (?:the )?(.+)$", t)
    if m:
        t = f"{m.group(2)} {m.group(1)}"
    m = re.match(r"^vp (.+)$", t)
    if m:
        t = f"{m.group(1)} vp"
    m = re.match(r"^(.+) head$", t)
    if m:
        t = f"{m.group(1)} head"
    t = re.sub(r"^head of (?:the )?(.+)$", r"\1 head", t)
    t = {"finance director": "finance director", "managing director": "managing director"}.get(t, t)
    t = re.sub(r"\bfinancial\b", "finance", t)
    return ABBREV_TITLES.get(t, t) if t in ("md", "fd", "gm", "gc") else t


# ===================================================================================== industries

#: Spoken forms -> V2 label (beyond the taxonomy's labels, V1 names and aliases).
SPOKEN_INDUSTRIES: dict[str, str] = {
    "saas": "Software Development", "b2b saas": "Software Development", "software companies": "Software Development",
    "software company": "Software Development", "software businesses": "Software Development",
    "software vendors": "Software Development", "b2b software": "Software Development", "tech companies": "Technology, Information and Internet",
    "tech startups": "Technology, Information and Internet", "tech": "Technology, Information and Internet",
    "fintech": "Financial Services", "fintechs": "Financial Services", "financial services": "Financial Services",
    "payments": "Financial Services", "banks": "Banking", "building societies": "Banking", "credit unions": "Banking",
    "insurers": "Insurance", "insurance": "Insurance", "insurance companies": "Insurance", "insurtech": "Insurance",
    "healthcare": "Hospitals and Health Care", "health care": "Hospitals and Health Care",
    "healthtech": "Hospitals and Health Care", "health tech": "Hospitals and Health Care",
    "nhs trusts": "Hospitals and Health Care", "nhs trust": "Hospitals and Health Care", "the nhs": "Hospitals and Health Care",
    "hospitals": "Hospitals and Health Care", "hospital groups": "Hospitals and Health Care",
    "private hospitals": "Hospitals and Health Care", "hospital": "Hospitals and Health Care",
    "gp practices": "Medical Practices", "gp surgeries": "Medical Practices", "clinics": "Medical Practices",
    "dental practices": "Dentists", "dentists": "Dentists", "vets": "Veterinary Services", "veterinary practices": "Veterinary Services",
    "care homes": "Nursing Homes and Residential Care Facilities", "care groups": "Nursing Homes and Residential Care Facilities",
    "nursing homes": "Nursing Homes and Residential Care Facilities", "residential care": "Nursing Homes and Residential Care Facilities",
    "care home": "Nursing Homes and Residential Care Facilities",
    "domiciliary care": "Home Health Care Services", "home care": "Home Health Care Services",
    "supported living": "Services for the Elderly and Disabled",
    "pharma": "Pharmaceutical Manufacturing", "pharmaceutical": "Pharmaceutical Manufacturing", "biotech": "Biotechnology Research",
    "medtech": "Medical Equipment Manufacturing", "medical devices": "Medical Equipment Manufacturing",
    "manufacturers": "Manufacturing", "manufacturing": "Manufacturing", "manufacturing companies": "Manufacturing",
    "machine builders": "Industrial Machinery Manufacturing", "machinery": "Industrial Machinery Manufacturing",
    "automotive suppliers": "Motor Vehicle Parts Manufacturing", "auto parts": "Motor Vehicle Parts Manufacturing",
    "automotive": "Motor Vehicle Manufacturing", "carmakers": "Motor Vehicle Manufacturing",
    "engineering firms": "Engineering Services", "engineering companies": "Engineering Services",
    "construction": "Construction", "construction firms": "Construction", "builders": "Construction",
    "housebuilders": "Residential Building Construction", "contractors": "Construction",
    "logistics": "Transportation, Logistics, Supply Chain and Storage", "haulage": "Truck Transportation",
    "hauliers": "Truck Transportation", "freight": "Freight and Package Transportation", "shipping": "Maritime Transportation",
    "warehousing": "Warehousing and Storage", "wholesale": "Wholesale", "wholesalers": "Wholesale", "distributors": "Wholesale",
    "retail": "Retail", "retailers": "Retail", "high street": "Retail", "e-commerce": "Online and Mail Order Retail",
    "ecommerce": "Online and Mail Order Retail", "e-commerce brands": "Online and Mail Order Retail", "dtc brands": "Online and Mail Order Retail",
    "d2c brands": "Online and Mail Order Retail", "online retailers": "Online and Mail Order Retail",
    "law firms": "Law Practice", "law firm": "Law Practice", "legal firms": "Law Practice",
    "accountancy practices": "Accounting", "accountancy firms": "Accounting", "accounting firms": "Accounting",
    "accountancy": "Accounting", "consultancies": "Business Consulting and Services", "management consultancies": "Business Consulting and Services",
    "councils": "Government Administration", "local authorities": "Government Administration", "local authority": "Government Administration",
    "government": "Government Administration", "public sector": "Government Administration", "central government": "Government Administration",
    "charities": "Non-profit Organizations", "charity": "Non-profit Organizations", "nonprofits": "Non-profit Organizations",
    "non-profits": "Non-profit Organizations", "housing associations": "Real Estate", "estate agents": "Real Estate",
    "universities": "Higher Education", "university": "Higher Education", "higher education": "Higher Education",
    "schools": "Primary and Secondary Education", "academy trusts": "Primary and Secondary Education",
    "multi-academy trusts": "Primary and Secondary Education", "colleges": "Higher Education",
    "edtech": "E-Learning Providers", "hotels": "Hotels and Motels", "restaurants": "Restaurants", "hospitality": "Hospitality",
    "telecoms": "Telecommunications", "telcos": "Telecommunications", "utilities": "Utilities", "energy companies": "Utilities",
    "renewables": "Renewable Energy Power Generation", "oil and gas": "Oil and Gas", "mining": "Mining",
    "proptech": "Real Estate", "real estate": "Real Estate", "property": "Real Estate", "property developers": "Real Estate",
    "private equity": "Venture Capital and Private Equity Principals", "vc firms": "Venture Capital and Private Equity Principals",
    "asset managers": "Investment Management", "wealth managers": "Investment Advice", "gaming": "Computer Games",
    "media companies": "Media and Telecommunications" if is_v2_label("Media and Telecommunications") else "Technology, Information and Media",
    "cybersecurity": "Computer and Network Security", "cyber security": "Computer and Network Security",
    "it services": "IT Services and IT Consulting", "msps": "IT Services and IT Consulting", "managed service providers": "IT Services and IT Consulting",
    "agriculture": "Farming, Ranching, Forestry", "farming": "Farming", "food and drink": "Food and Beverage Manufacturing",
    "food and beverage": "Food and Beverage Manufacturing", "aerospace": "Aviation and Aerospace Component Manufacturing",
    "defence": "Defense and Space Manufacturing", "defense": "Defense and Space Manufacturing",
    "recruitment agencies": "Staffing and Recruiting", "staffing": "Staffing and Recruiting",
    "grocery chains": "Retail Groceries", "grocers": "Retail Groceries", "supermarkets": "Retail Groceries",
    "grocery": "Retail Groceries", "airlines": "Airlines and Aviation", "tour operators": "Travel Arrangements",
    "travel companies": "Travel Arrangements", "travel agencies": "Travel Arrangements", "travel": "Travel Arrangements",
    "systems integrators": "IT Services and IT Consulting", "marketplaces": "Online and Mail Order Retail",
    "restaurant groups": "Restaurants", "hotel groups": "Hotels and Motels", "hotel chains": "Hotels and Motels",
    "restaurant chains": "Restaurants", "orthodontic practices": "Dentists", "dental": "Dentists",
    "bakeries": "Baked Goods Manufacturing", "bakers": "Baked Goods Manufacturing",
}

#: Words that are an industry only with an industry noun after them (or "in" before them): they
#: are also job functions ("finance", "IT", "marketing") or everyday words ("data", "design").
AMBIGUOUS_INDUSTRY_WORDS = frozenset({
    "software", "tech", "technology", "finance", "marketing", "hr", "it", "legal", "data", "analytics", "design",
    "events", "training", "engineering", "consulting", "education", "health", "media", "security", "pr", "ai",
    "property", "construction", "energy", "travel", "coaching", "advertising", "recruiting", "recruitment",
    "internet", "audit", "law", "government", "hospital", "charity", "university", "payments", "machinery",
    "contractors", "builders", "shipping", "distributors", "logistics", "manufacturing", "research", "outsourcing",
    "printing", "photography", "writing", "translation", "music", "packaging", "fundraising", "wellness",
    "grocery", "dental", "marketplaces", "retail", "mining", "utilities",
})
#: ... but these words stand alone in a list of industries ("fintech, healthcare and logistics").
_LIST_OK = frozenset({"software", "logistics", "manufacturing", "construction", "government", "property",
                      "education", "energy", "travel", "media", "insurance", "legal", "tech", "retail", "utilities",
                      "mining", "research"})
INDUSTRY_NOUNS = (r"(?:companies|company|firms?|businesses|business|sectors?|industry|industries|space|brands|startups|chains?|"
                  r"practices?|operators|"
                  r"start-ups|scale-ups|scaleups|providers|vendors|organisations|organizations|orgs|groups|world|"
                  r"market|clients|customers|platforms|shops|houses|players|outfits|work|side|sector|"
                  + "|".join(sorted({re.escape(n) for n in GENERIC_NOUNS + tuple(w for ws in KIND_NOUNS.values() for w in ws)},
                                    key=len, reverse=True)) + ")")
#: People described by a word before them ("health tech suppliers"): never an industry of the ICP.
CATEGORY_NOUNS = (r"suppliers?|vendors?|consultants?|recruiters?|agencies|agency|students?|investors?|advisers?|"
                  r"advisors?|freelancers?|contractors?|resellers?|coaches|trainers?|people|folks|professionals|"
                  r"teams?|leaders?|crowd|bloggers|influencers|journalists|analysts?|graduates?|interns?")

_SKIP_ALIASES = {"it", "pr", "hr", "ai", "data", "design", "events", "training", "engineering", "health", "finance",
                 "marketing", "media", "coaching", "technology", "internet", "audit", "legal",
                 "vc", "pe", "analytics", "data analytics", "machine learning", "artificial intelligence",
                 "property", "tourism", "education", "energy", "gaming"}


_NOUN_NEEDED: set[str] = set()  # singular forms of one-word plurals ("hotel" in "hotel groups")
#: Bare words derived from labels (``wind``, ``dairy``, ``sound``): an industry only in context.
DERIVED_WEAK: set[str] = set()


def _industry_lexicon() -> dict[str, str]:
    lex: dict[str, str] = {}
    for label in INDUSTRIES:
        low = label.lower()
        if "," in low or len(low.split()) > 4:
            continue
        lex[low] = label
    for v1, v2 in V1_TO_V2.items():
        low = v1.lower()
        if len(low.split()) <= 4 and "," not in low:
            lex.setdefault(low, v2)
    for alias, v2 in INDUSTRY_ALIASES.items():
        low = alias.lower()
        if low not in _SKIP_ALIASES:
            lex.setdefault(low, v2)
    lex.update(SPOKEN_INDUSTRIES)
    for k, v in list(lex.items()):
        words = k.split()
        last = words[-1]
        if last.endswith("s") and not last.endswith(("ss", "ics", "us")) and len(last) > 4:
            sing = " ".join(words[:-1] + [_singular(last)])
            if sing != k and sing not in lex:
                lex[sing] = v
                if len(words) == 1:
                    _NOUN_NEEDED.add(sing)
    lex.setdefault("software", "Software Development")
    lex.setdefault("legal", "Legal Services")
    for phrase, form in derived_forms().items():  # every V2 label's own word forms (industry_forms.py)
        if phrase in lex or phrase in _SKIP_ALIASES:
            continue
        lex[phrase] = form.label
        if not form.strong:
            DERIVED_WEAK.add(phrase)
    for k, v in list(lex.items()):
        if not is_v2_label(v):  # pragma: no cover - guarded by tests
            raise ValueError(f"industry lexicon {k!r} -> unknown V2 label {v!r}")
    return lex


INDUSTRY_LEXICON = _industry_lexicon()
_IND_ALT = "|".join(sorted((re.escape(k) for k in INDUSTRY_LEXICON), key=len, reverse=True))
_IND_RE = re.compile(r"(?<![\w-])(" + _IND_ALT + r")(?![\w-])", re.I)
_IND_NOUN_AFTER = re.compile(r"^\s+(?:" + INDUSTRY_NOUNS + r")\b", re.I)
_CATEGORY_AFTER = re.compile(r"^\s+(" + CATEGORY_NOUNS + r")\b", re.I)
_IN_BEFORE = re.compile(r"\b(?:in|into|within|across|for)\s+(?:the\s+)?$", re.I)


#: A verb that takes an industry as its object ("add dairy", "drop utilities", "take utilities off").
_CUE_VERB_BEFORE = re.compile(
    r"\b(?:add|adding|added|include|including|drop|dropping|forget|scratch|remove|removing|target|targeting|take|"
    r"taking|cut|exclude|excluding|sell to|selling to|sold to|work with|working with|move into|moving into|"
    r"expand(?:ing)? into|go(?:ing)? after|chase|chasing|put)\s+(?:the |all |any |more |also |in )?$", re.I)
#: Words before a bare word that do not make it part of a compound ("some wind", "and dairy").
_NOT_COMPOUND = frozenset("""the a an some any all more most many few lots of and or but mostly mainly also plus like
    say even especially particularly then more-and-more both either nor just only maybe probably usually
    mainly primarily chiefly largely plenty bit little no not is are was were be in into for with to from
    at by as on our their your my its""".split())


def _compound_before(before: str) -> bool:
    """True when the word just before is a content word ("battery storage", "marketing suite"): the
    bare word then modifies or is modified by it and is not named as an industry on its own."""
    m = re.search(r"([A-Za-z][\w'-]*)\s+$", before)
    return m is not None and m.group(1).lower() not in _NOT_COMPOUND


def _list_item(before: str, after: str) -> bool:
    """True when a bare word stands alone as an item of a list: a separator or a quantifier just
    before it ("..., dairy", "some wind") and a separator or the end just after it."""
    if _compound_before(before):
        return False
    return bool(re.match(r"^\s*(?:$|[,.;!?)]|(?:and|or|too|mostly|mainly|as well|especially)\b)", after, re.I))


def industry_key(label: str) -> str:
    """Matching key of an industry label (case-insensitive exact V2 label)."""
    return label.strip().lower()


def find_industries(text: str, masked: Sequence[tuple[int, int]] = ()) -> tuple[list[Span], list[Span]]:
    """Industries in ``text`` as V2 labels, and people described by an industry word.

    Returns ``(industries, compounds)``: ``compounds`` are spans like ``"health tech suppliers"``
    (kind ``exclusions``, basis ``compound``) whose industry word describes people, not the ICP.
    Spans overlapping ``masked`` (e.g. titles) are skipped. Ambiguous words
    (:data:`AMBIGUOUS_INDUSTRY_WORDS`) need an industry noun after them, ``in`` before them, or
    another industry in the same list.
    """
    found: list[Span] = []
    compounds: list[Span] = []
    hits = [m for m in _IND_RE.finditer(text)
            if not any(m.start() < e and s < m.end() for s, e in masked)]

    def plain(h: re.Match[str]) -> bool:  # an industry on its own, whatever its context
        w = h.group(1).lower()
        return w not in AMBIGUOUS_INDUSTRY_WORDS and w not in DERIVED_WEAK and w not in _NOUN_NEEDED and \
            not (_CATEGORY_AFTER.match(text[h.end():]) and not _IND_NOUN_AFTER.match(text[h.end():]))

    for m in hits:
        word = m.group(1).lower()
        after = text[m.end():]
        before = text[:m.start()]
        cat = _CATEGORY_AFTER.match(after)
        if cat and not _IND_NOUN_AFTER.match(after):
            phrase = text[m.start():m.end() + cat.end()]
            compounds.append(Span(m.start(), m.end() + cat.end(), _singular_phrase(phrase), "exclusions", "compound"))
            continue
        noun_after = bool(_IND_NOUN_AFTER.match(after))
        if word in _NOUN_NEEDED and not noun_after:
            continue
        if word in DERIVED_WEAK:
            kind = derived_forms()[word].kind
            nm = re.match(r"^\s+([\w-]+)", after)
            ok = bool(kind and nm and nm.group(1).lower() in KIND_NOUNS[kind]) or \
                bool(re.search(r"\b(?:in|into|within|across)\s+(?:the\s+)?$", before, re.I)) or \
                bool(_CUE_VERB_BEFORE.search(before)) or \
                (_list_item(before, after) and any(h is not m and plain(h) for h in hits))
            if not ok:
                continue
        elif word in AMBIGUOUS_INDUSTRY_WORDS:
            ok = noun_after or bool(_IN_BEFORE.search(before)) or bool(_CUE_VERB_BEFORE.search(before))
            if not ok and (word in _LIST_OK and not _compound_before(before) or _list_item(before, after)):
                ok = any(h is not m and plain(h) for h in hits)
            if not ok:
                continue
        label = INDUSTRY_LEXICON[word]
        found.append(Span(m.start(), m.end(), label, "target_industries"))
    return found, compounds


def _singular_phrase(phrase: str) -> str:
    words = phrase.split()
    if words:
        words[-1] = _singular(words[-1])
        if words[-1].lower() == "agencie":
            words[-1] = "agency"
    return " ".join(words).lower() if not any(w.isupper() and len(w) > 1 for w in words) else " ".join(words)


# ===================================================================================== sizes

BAND_BOUNDS: tuple[tuple[str, int, int | None], ...] = (
    ("1-10", 1, 10), ("11-50", 11, 50), ("51-200", 51, 200), ("201-500", 201, 500), ("501-1000", 501, 1000),
    ("1001-5000", 1001, 5000), ("5001-10000", 5001, 10000), ("10001+", 10001, None),
)
assert tuple(b for b, _, _ in BAND_BOUNDS) == SIZE_BANDS
_UPPERS = {hi for _, _, hi in BAND_BOUNDS if hi}

STAGE_BANDS: dict[str, tuple[str, ...]] = {
    "pre-seed": ("1-10",), "seed": ("1-10", "11-50"), "a": ("11-50", "51-200"), "b": ("51-200", "201-500"),
    "c": ("201-500", "501-1000"), "d": ("501-1000", "1001-5000"), "e": ("501-1000", "1001-5000"),
}
_STAGE_ORDER = ["pre-seed", "seed", "a", "b", "c", "d", "e"]

_EMPLOYEE_UNIT = r"(?:employees?|staff|people|persons?|heads?|headcount|ftes?|full[- ]time|workers|team members|-person|person)"
_OTHER_UNIT = re.compile(r"^\s*(?:k\b|m\b|million|billion|bn|grand|percent|%|pounds|dollars|euros|quid|homes|sites|"
                         r"locations|stores|shops|clinics|beds|offices|countries|years?|months?|weeks?|days?|hours?|"
                         r"minutes?|mins?|deals?|clients?|customers?|posts?|times|branches|restaurants|hotels|"
                         r"schools|trusts|plants|factories|users|seats|licen[cs]es|followers|in (?:revenue|turnover|arr))", re.I)
_NUM = r"(\d[\d,]*(?:\.\d+)?)(\s?k\b)?"
_BOUND_FILLER_RE = r"(?:[,]?\s*(?:i dunno|i don't know|i'd say|i guess|like|say|maybe|probably|realistically|call it)\b[,]?)*"
_RANGE = re.compile(_NUM + r"\s*(?:" + _EMPLOYEE_UNIT + r"\s*)?(?:-|–|—|to|and|through|up to)\s*(?:maybe |about |around |roughly |perhaps |say )?" + _NUM, re.I)
_BOUND = re.compile(r"\b(under|below|fewer than|less than|up to|sub|over|above|more than|at least|bigger than|"
                    r"smaller than|north of|beyond|upwards of|plus of)" + _BOUND_FILLER_RE + r"\s+(?:a |about |around |roughly |maybe |say )?" + _NUM, re.I)
_PLUS = re.compile(_NUM + r"\s*(" + _EMPLOYEE_UNIT + r"(?:\s+" + _EMPLOYEE_UNIT + r")?\s*)?(?:\+|plus|and up(?:wards?)?|and above|"
                   r"and over|and bigger|or more|or bigger|or larger|or above|upwards?|minimum|at minimum)(?=\s|$|\W)", re.I)
#: A negation governing an "over"/"more than" bound makes it an upper bound ("nobody has more than 400").
_NEG_BEFORE_BOUND = re.compile(r"\b(?:nobody|no one|no-one|none|never|not|no|isn't|aren't|don't|doesn't|won't|hardly)\b[^.;!?]{0,40}$", re.I)
#: A people word before the number ("teams of under twenty", "a headcount of 300").
_UNIT_BEFORE = re.compile(r"\b(?:headcount|head count|teams?|staff|workforce|employees|people|fte|ftes|team size|size)"
                          r"(?:\s+(?:of|is|was|around|about|at))?(?:\s+between)?\s*$", re.I)
_SINGLE = re.compile(r"\b(?:about|around|roughly|approximately|maybe|say|circa|~)?\s*" + _NUM, re.I)
_STAGE_RE = re.compile(r"\b(pre-seed|seed(?:-stage| stage| round)?|series ([a-e])(?:\s*(?:-|to|through|or|and)\s*(?:series )?([a-e])\b)?(?:\s*(?:onwards|\+|and (?:up|above|beyond)|or later))?)\b", re.I)
_FILLER_AFTER_NUMBER = frozenset("""or roughly ish maybe tops max at and bit end range mark band bracket sort kind really
    either too mostly typically usually generally people-ish in is are would that's thats which ideally give take
    plus odd so but then is like say or-so now lately recently currently these today anyway though also tops
    honestly basically these-days""".split())
_MONEY = re.compile(r"\b(turnover|revenue|revenues|arr|mrr|million|billion|bn|grand|funding|raised|valuation)\b|[£$€]", re.I)
_NAMED_RE = re.compile(
    r"\b(mid-?market|mid-?sized?|midsize|small and medium(?:-sized)? (?:businesses|enterprises)|smbs?|smes?|"
    r"small businesses|small business|start-?ups?|scale-?ups?|enterprises?|enterprise|large enterprises?|"
    r"fortune 500|fortune 1000|ftse 100|ftse 250|global 2000|corporates|micro businesses|early[- ]stage)\b", re.I)


_UNITS = "one two three four five six seven eight nine".split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
_TEENS = "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
_WORDVAL = {w: i + 1 for i, w in enumerate(_UNITS)} | {w: 20 + 10 * i for i, w in enumerate(_TENS)} | \
    {w: 10 + i for i, w in enumerate(_TEENS)}
_UNITS_W = "|".join(_UNITS)
_TENS_W = "|".join(_TENS + _TEENS)
_NUMWORD = "(?:" + "|".join(sorted(_UNITS + _TENS + _TEENS + ["hundred", "thousand", "a"], key=len, reverse=True)) + ")"


_BETWEEN_RE = re.compile(r"\bbetween ((?:(?:" + _NUMWORD + r"|\d[\d,]*|and)\b[ -]?)+)", re.I)


def _between_to(m: re.Match[str]) -> str:
    """``between two hundred and fifty and five hundred`` -> ``between two hundred and fifty to five
    hundred``: the ``and`` that joins the two numbers is the first not right after hundred/thousand."""
    words = m.group(1).rstrip().split(" ")
    for i, w in enumerate(words):
        if w.lower() == "and" and i > 0 and i + 1 < len(words) and \
                words[i - 1].lower() not in ("hundred", "thousand") and words[i + 1].lower() != "and":
            words[i] = "to"
            break
    trail = m.group(1)[len(m.group(1).rstrip()):]
    return "between " + " ".join(words) + trail


def normalise_numbers(text: str) -> str:
    """``text`` with spoken numbers as digits (text2num's ``alpha2digit``), ``a couple of hundred`` ->
    ``200``, ``a few hundred`` -> ``300``, ``a thousand`` -> ``1000``, ``10k`` -> ``10000``, ``1,000`` -> ``1000``,
    and a scale carried over (``5 to 15000`` -> ``5000 to 15000``). Not length-preserving."""
    s = text.replace("’", "'")
    s = re.sub(r"\b(" + _NUMWORD + r"|\d+)(?:-| )(?:ish|odd)\b", r"\1", s, flags=re.I)  # "twenty-ish", "forty odd"
    s = re.sub(r"\bsub-(?=\d|" + _NUMWORD + r")", "under ", s, flags=re.I)  # "sub-five hundred"
    s = re.sub(r"\b(" + _UNITS_W + r")-(" + _TENS_W + r")(?:-(" + _UNITS_W + r"))?\b(?! hundred| thousand)",
               lambda m: str(100 * _WORDVAL[m.group(1).lower()] + _WORDVAL[m.group(2).lower()]
                             + (_WORDVAL[m.group(3).lower()] if m.group(3) else 0)), s, flags=re.I)  # "two-fifty" = 250
    s = _BETWEEN_RE.sub(_between_to, s)  # "between eighty and one hundred" is a range, not 8100
    s = re.sub(r"\ba (hundred|thousand) and (?=" + _NUMWORD + r")", r"one \1 and ", s, flags=re.I)
    s = re.sub(r"\ba couple (?:of )?hundred\b", "200", s, flags=re.I)
    s = re.sub(r"\ba few hundred\b", "300", s, flags=re.I)
    s = re.sub(r"\ba couple (?:of )?thousand\b", "2000", s, flags=re.I)
    s = re.sub(r"\ba few thousand\b", "3000", s, flags=re.I)
    s = re.sub(r"\b(?:a|one) hundred\b(?! and)", "100", s, flags=re.I)
    s = re.sub(r"\b(?:a|one) thousand\b(?! and)", "1000", s, flags=re.I)
    try:
        s = alpha2digit(s, "en", threshold=0)
    except Exception:  # noqa: BLE001  # pragma: no cover - text2num is robust, but never fail a call on it
        pass
    s = re.sub(r"\ba (\d{3,})\b", r"\1", s)
    s = re.sub(r"(?<=\d),(?=\d{3}\b)", "", s)
    s = re.sub(r"\b(\d+(?:\.\d+)?)\s?k\b", lambda m: str(int(float(m.group(1)) * 1000)), s, flags=re.I)

    def scale(m: re.Match[str]) -> str:
        lo, sep, hi = int(m.group(1)), m.group(2), int(m.group(3))
        if lo < 100 and hi >= 1000 and hi % 1000 == 0 and lo * 1000 < hi:
            return f"{lo * 1000}{sep}{hi}"
        if lo < 10 and 100 <= hi < 1000 and hi % 100 == 0 and lo * 100 < hi:
            return f"{lo * 100}{sep}{hi}"
        return m.group(0)

    s = re.sub(r"\b(\d+)(\s*(?:-|to|and)\s*)(\d+)\b", scale, s)
    return s


def _n(num: str, k: str | None) -> float:
    v = float(num.replace(",", ""))
    return v * 1000 if k else v


def bands_between(lo: float, hi: float | None) -> list[str]:
    """Bands overlapping employee counts ``lo``..``hi`` (``hi`` None: open-ended). A lower bound on a
    band edge starts in the next band (``50 to 500`` -> 51-200, 201-500)."""
    if lo in _UPPERS:
        lo += 1
    out = []
    for band, blo, bhi in BAND_BOUNDS:
        if (bhi is None or lo <= bhi) and (hi is None or hi >= blo):
            out.append(band)
    return out


def band_of(n: float) -> str:
    """The band holding ``n`` employees."""
    for band, _, bhi in BAND_BOUNDS:
        if bhi is None or n <= bhi:
            return band
    return SIZE_BANDS[-1]  # pragma: no cover


@dataclass(frozen=True)
class SizeHit:
    """Company sizes said in a clause: ``bands``; ``basis`` ``range`` | ``bound`` | ``single`` |
    ``named`` | ``stage``; ``direction`` for bounds (``below`` / ``above`` / ``upto``); ``phrase``."""

    bands: tuple[str, ...]
    basis: str
    phrase: str
    direction: str | None = None
    has_unit: bool = False


def find_sizes(text: str, *, size_context: bool = False) -> list[SizeHit]:
    """Company sizes in a clause (numbers in words are read).

    Numbers count as employee counts when followed by a people word (``employees``, ``staff``,
    ``people``...) or when ``size_context`` is True (the agency just asked about size), and never when
    followed by another unit (``million``, ``homes``, ``percent``...). Also named sizes
    (``mid-market``, ``SMEs``, ``enterprise``; :func:`icp_engine.taxonomy.named_size_bands`) and
    funding stages (``Series B``; :data:`STAGE_BANDS`).
    """
    s = normalise_numbers(text)
    hits: list[SizeHit] = []
    if _MONEY.search(text) and not re.search(r"\b" + _EMPLOYEE_UNIT + r"\b", text, re.I):
        size_context = False  # "turnover three to thirty million": money, not head count
    used: list[tuple[int, int]] = []

    def unit_after(end: int) -> tuple[bool, bool]:
        rest = s[end:end + 40]
        if _OTHER_UNIT.match(rest):
            return False, True
        unit = bool(re.match(r"^\s*(?:\w+\s+){0,1}" + _EMPLOYEE_UNIT + r"\b", rest, re.I))
        if not unit:
            nxt = re.match(r"^\s*([A-Za-z][\w-]*)", rest)
            if nxt and nxt.group(1).lower() not in _FILLER_AFTER_NUMBER:
                return False, True  # "three to fifteen chairs": some other count
        return unit, False

    for m in _RANGE.finditer(s):
        lo, hi = _n(m.group(1), m.group(2)), _n(m.group(3), m.group(4))
        if hi <= lo or hi < 5 or hi >= 1_000_000:
            continue
        has_unit, other = unit_after(m.end())
        has_unit = has_unit or bool(_UNIT_BEFORE.search(s[:m.start()]))
        mid_unit = bool(re.search(_EMPLOYEE_UNIT, m.group(0), re.I))
        if other or not (has_unit or mid_unit or size_context):
            continue
        hits.append(SizeHit(tuple(bands_between(lo, hi)), "range", m.group(0), has_unit=has_unit or mid_unit))
        used.append(m.span())
    for m in _BOUND.finditer(s):
        if any(m.start() < e and a < m.end() for a, e in used):
            continue
        n = _n(m.group(2), m.group(3))
        has_unit, other = unit_after(m.end())
        has_unit = has_unit or bool(_UNIT_BEFORE.search(s[:m.start()]))
        if other or not (has_unit or size_context):
            continue
        word = m.group(1).lower()
        if word in ("over", "above", "more than", "bigger than", "beyond", "north of") and \
                _NEG_BEFORE_BOUND.search(s[:m.start()]):
            # "nobody has more than 400 FTEs": an upper bound, said with a negation the bound consumes
            bands, direction = [b for b, blo, _ in BAND_BOUNDS if blo <= n], "atmost"
        elif word in ("under", "below", "fewer than", "less than", "sub", "smaller than"):
            bands, direction = [b for b, blo, _ in BAND_BOUNDS if blo < n], "below"
        elif word == "up to":
            bands, direction = [b for b, blo, _ in BAND_BOUNDS if blo <= n], "upto"
        else:
            bands, direction = bands_between(n + (0 if n in _UPPERS else 1), None), "above"
        hits.append(SizeHit(tuple(bands), "bound", m.group(0), direction, has_unit))
        used.append(m.span())
    for m in _PLUS.finditer(s):
        if any(m.start() < e and a < m.end() for a, e in used):
            continue
        n = _n(m.group(1), m.group(2))
        has_unit, other = unit_after(m.end())
        has_unit = has_unit or bool(m.group(3)) or bool(_UNIT_BEFORE.search(s[:m.start()]))
        if other and not m.group(3) or not (has_unit or size_context):
            continue
        hits.append(SizeHit(tuple(bands_between(n, None)), "bound", m.group(0), "above", has_unit))
        used.append(m.span())
    for m in _SINGLE.finditer(s):
        if any(m.start() < e and a < m.end() for a, e in used):
            continue
        n = _n(m.group(1), m.group(2))
        if n < 2 or re.match(r"^\s*(?:st|nd|rd|th)\b", s[m.end():]):
            continue
        has_unit, other = unit_after(m.end())
        if other or not has_unit:
            continue
        hits.append(SizeHit((band_of(n),), "single", m.group(0), has_unit=True))
        used.append(m.span())
    for m in _NAMED_RE.finditer(s):
        name = m.group(1).lower().replace("-", " ")
        name = {"corporates": "corporate", "start up": "startup", "start ups": "startup", "startups": "startup",
                "scale ups": "scaleup", "scale up": "scaleup", "scaleups": "scaleup", "mid sized": "mid size",
                "early stage": "early stage", "ftse 100": "fortune 500", "ftse 250": "fortune 1000"}.get(name, name)
        bands = named_size_bands(name)
        if bands:
            hits.append(SizeHit(tuple(bands), "named", m.group(0)))
    for m in _STAGE_RE.finditer(s):
        first = (m.group(2) or "").lower()
        last = (m.group(3) or "").lower()
        token = m.group(1).lower()
        if not first:
            key = "pre-seed" if token.startswith("pre") else "seed"
            stages = [key]
        else:
            i = _STAGE_ORDER.index(first)
            j = _STAGE_ORDER.index(last) if last else i
            if re.search(r"onwards|\+|and (?:up|above|beyond)|or later", token):
                j = len(_STAGE_ORDER) - 1
            stages = _STAGE_ORDER[i:j + 1]
        bands = [b for b in SIZE_BANDS if any(b in STAGE_BANDS[st] for st in stages)]
        hits.append(SizeHit(tuple(bands), "stage", m.group(0)))
    return hits


# ===================================================================================== locations

LOCATIONS: dict[str, str] = {
    "uk": "UK", "united kingdom": "UK", "britain": "UK", "great britain": "UK", "england": "England",
    "scotland": "Scotland", "wales": "Wales", "northern ireland": "Northern Ireland", "ireland": "Ireland",
    "london": "London", "the south east": "South East", "south east": "South East", "the midlands": "Midlands",
    "midlands": "Midlands", "the north west": "North West", "the north": "North of England", "manchester": "Manchester",
    "us": "US", "usa": "US", "the us": "US", "the states": "US", "united states": "US", "america": "US",
    "north america": "North America", "canada": "Canada", "mexico": "Mexico", "latam": "Latin America",
    "latin america": "Latin America", "europe": "Europe", "emea": "EMEA", "apac": "APAC", "dach": "DACH",
    "the nordics": "Nordics", "nordics": "Nordics", "scandinavia": "Nordics", "benelux": "Benelux",
    "germany": "Germany", "austria": "Austria", "switzerland": "Switzerland", "france": "France", "spain": "Spain",
    "portugal": "Portugal", "italy": "Italy", "the netherlands": "Netherlands", "netherlands": "Netherlands",
    "holland": "Netherlands", "belgium": "Belgium", "poland": "Poland", "sweden": "Sweden", "norway": "Norway",
    "denmark": "Denmark", "finland": "Finland", "australia": "Australia", "new zealand": "New Zealand",
    "singapore": "Singapore", "india": "India", "the uae": "UAE", "uae": "UAE", "dubai": "Dubai",
    "the middle east": "Middle East", "middle east": "Middle East", "africa": "Africa", "south africa": "South Africa",
    "new york": "New York", "california": "California", "texas": "Texas", "toronto": "Toronto",
    "berlin": "Berlin", "munich": "Munich", "paris": "Paris", "amsterdam": "Amsterdam", "dublin": "Dublin",
    "edinburgh": "Edinburgh", "glasgow": "Glasgow", "birmingham": "Birmingham", "bristol": "Bristol",
}
_LOC_ALT = "|".join(sorted((re.escape(k) for k in LOCATIONS), key=len, reverse=True))
_LOC_RE = re.compile(r"(?<![\w-])(" + _LOC_ALT + r")(?![\w-])", re.I)


def find_locations(text: str) -> list[Span]:
    """Countries, regions and a few cities; ``US``/``UK`` only in capitals (``us`` is a pronoun)."""
    out = []
    for m in _LOC_RE.finditer(text):
        word = m.group(1)
        if word.lower() in ("us", "uk", "uae", "usa") and not word.isupper():
            continue
        if word.lower() == "the north" and re.match(r"^\s+(?:of|star)", text[m.end():]):
            continue
        out.append(Span(m.start(), m.end(), LOCATIONS[word.lower()], "locations"))
    return out


# ===================================================================================== people to exclude

#: Groups of people that are exclusions when spoken of negatively (singular value -> spoken forms).
CATEGORIES: dict[str, str] = {
    "student": r"students?", "intern": r"interns?", "recruiter": r"recruiters?|headhunters?|recruitment consultants?",
    "agency": r"agencies|agency", "freelancer": r"freelancers?", "consultant": r"consultants?",
    "investor": r"investors?|vcs|venture capitalists?", "vendor": r"vendors?", "supplier": r"suppliers?",
    "competitor": r"competitors?", "accountant": r"accountants?", "job seeker": r"job seekers?|job hunters?",
    "academic": r"academics?|the academic crowd", "retiree": r"retirees?|retired people",
    "coach": r"coaches|coach", "salespeople": r"salespeople|people selling to me|sales reps?",
    "Big Four": r"big four|big 4", "reseller": r"resellers?", "MSSP": r"mssps?",
    "financial adviser": r"financial advis[eo]rs?|ifas?", "lawyer": r"lawyers?", "journalist": r"journalists?",
    "influencer": r"influencers?", "graduate": r"graduates?|grads", "bureau": r"bureaus|bureaux|bureau",
    "partner": r"partners", "integrator": r"integrators?", "lab": r"labs", "chain": r"chains",
}
_CAT_RE = [(v, re.compile(r"(?<![\w-])(?:" + p + r")(?![\w-])", re.I)) for v, p in CATEGORIES.items()]


_GENERAL_CATEGORIES = {"student", "intern", "recruiter", "graduate", "retiree", "job seeker", "competitor", "investor",
                       "freelancer", "Big Four", "MSSP", "academic", "salespeople"}
_MODIFIER = re.compile(r"(?:^|[\s,(])((?:[A-Z]{2,}|[a-z][a-z-]+)(?: [a-z][a-z-]+)?)\s+$")
_NOT_MODIFIER = frozenset("""other the a an any no some lots of and or but our their my your these those many loads
    all more most few couple bunch ton tons just only even also too very really like certain random big small
    junior senior local mostly mainly usually typically especially particularly definitely honestly not
    follow follows following me us them they we you i""".split())


def find_categories(text: str) -> list[Span]:
    """Groups of people named in ``text`` (students, recruiters, agencies, investors, ...).

    A group with a describing word before it keeps it (``"ERP consultants"`` -> ``ERP consultant``,
    ``"security vendors"`` -> ``security vendor``), except groups that are never buyers whatever
    their kind (students, recruiters, investors...), which stay general (``student``).
    """
    out = []
    for value, rx in _CAT_RE:
        for m in rx.finditer(text):
            start, val = m.start(), value
            if value not in _GENERAL_CATEGORIES:
                mm = _MODIFIER.search(text[max(0, m.start() - 40):m.start()])
                if mm:
                    words = [w for w in mm.group(1).split() if w.lower() not in _NOT_MODIFIER]
                    if words and words == mm.group(1).split()[-len(words):]:
                        mod = " ".join(words)
                        val = f"{mod} {value}"
                        start = m.start() - len(mod) - 1
            out.append(Span(start, m.end(), val, "exclusions", "category"))
    return out


# ===================================================================================== keywords

KEYWORDS: dict[str, str] = {
    "venture-backed": r"venture[- ]backed|vc[- ]backed|venture[- ]funded", "PE-backed": r"pe[- ]backed|private equity[- ]backed",
    "bootstrapped": r"bootstrapped", "owner-managed": r"owner[- ]managed", "family-owned": r"family[- ]owned|family firms?|family businesses",
    "B2B": r"b2b", "B2C": r"b2c", "regulated": r"regulated", "listed": r"publicly listed|plc", "remote-first": r"remote[- ]first",
}
_KW_RE = [(v, re.compile(r"(?<![\w-])(?:" + p + r")(?![\w-])", re.I)) for v, p in KEYWORDS.items()]


def find_keywords(text: str) -> list[Span]:
    """Company traits worth a keyword (``venture-backed``, ``owner-managed``, ``B2B``...)."""
    return [Span(m.start(), m.end(), v, "keywords") for v, rx in _KW_RE for m in rx.finditer(text)]
