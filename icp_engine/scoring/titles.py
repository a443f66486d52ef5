"""Hand-written job-title knowledge: abbreviations, seniority, job functions, role kinds, headlines.

Everything here is written for this project (no external data set): common English LinkedIn /
job-board abbreviations, seniority words, and a small lexicon of job functions. It feeds the
title criterion of :mod:`icp_engine.scoring.scorer`.

Main functions:

* :func:`normalize_title` - lower-case, expand abbreviations (``"VP Fin & Ops"`` ->
  ``"vice president finance and operations"``), drop job-board noise (contract lengths, work
  modes, locations after a dash) and return the clean text used for embeddings and overlap.
* :func:`title_features` - seniority level, job functions and role kind of a title.
* :func:`parse_headline` - titles and company found in a LinkedIn headline
  (``"VP Finance at X | ..."``, ``"CFO | Y | ex-Big4"``, ``"Founder & CEO, Z (AI ...)"``,
  ``"Head of Revenue Operations @ W"``).
* :func:`detect_status` - student / retiree / recruiter / open-to-work flags.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

# ------------------------------------------------------------------------------------------
# Abbreviations (token -> expansion). Matched case-insensitively on whole tokens, so only
# tokens that are unambiguous inside a job title are listed.
# ------------------------------------------------------------------------------------------
ABBREVIATIONS: dict[str, str] = {
    "ceo": "chief executive officer",
    "cfo": "chief financial officer",
    "coo": "chief operating officer",
    "cto": "chief technology officer",
    "cio": "chief information officer",
    "cmo": "chief marketing officer",
    "cro": "chief revenue officer",
    "cso": "chief strategy officer",
    "cpo": "chief product officer",
    "cdo": "chief data officer",
    "ciso": "chief information security officer",
    "chro": "chief human resources officer",
    "cco": "chief commercial officer",
    "cao": "chief accounting officer",
    "clo": "chief legal officer",
    "cxo": "chief executive",
    "vp": "vice president",
    "svp": "senior vice president",
    "evp": "executive vice president",
    "avp": "assistant vice president",
    "gm": "general manager",
    "md": "managing director",
    "hr": "human resources",
    "hrbp": "human resources business partner",
    "fp&a": "financial planning and analysis",
    "fpa": "financial planning and analysis",
    "ar": "accounts receivable",
    "ap": "accounts payable",
    "it": "information technology",
    "ict": "information technology",
    "is": "information systems",
    "ops": "operations",
    "revops": "revenue operations",
    "finops": "finance operations",
    "devops": "devops engineering",
    "mgr": "manager",
    "mngr": "manager",
    "mgmt": "management",
    "dir": "director",
    "sr": "senior",
    "snr": "senior",
    "jr": "junior",
    "asst": "assistant",
    "assoc": "associate",
    "exec": "executive",
    "admin": "administrator",
    "eng": "engineer",
    "engr": "engineer",
    "dev": "developer",
    "swe": "software engineer",
    "sde": "software development engineer",
    "qa": "quality assurance",
    "ux": "user experience",
    "ui": "user interface",
    "bi": "business intelligence",
    "ai": "artificial intelligence",
    "ml": "machine learning",
    "dba": "database administrator",
    "sdr": "sales development representative",
    "bdr": "business development representative",
    "bd": "business development",
    "biz": "business",
    "ae": "account executive",
    "am": "account manager",
    "csm": "customer success manager",
    "csr": "customer service representative",
    "pm": "project manager",
    "pmo": "project management office",
    "l&d": "learning and development",
    "pr": "public relations",
    "r&d": "research and development",
    "cpa": "certified public accountant",
    "acca": "chartered certified accountant",
    "cma": "certified management accountant",
    "cfa": "chartered financial analyst",
    "rn": "registered nurse",
    "lpn": "licensed practical nurse",
    "hse": "health safety and environment",
    "ehs": "environment health and safety",
    "scm": "supply chain management",
    "seo": "search engine optimization",
    "sem": "search engine marketing",
    "crm": "customer relationship management",
    "erp": "enterprise resource planning",
    "m&a": "mergers and acquisitions",
    "p&l": "profit and loss",
    "gtm": "go to market",
    "ic": "individual contributor",
    "intl": "international",
    "natl": "national",
    "mktg": "marketing",
    "acct": "accounting",
    "accts": "accounts",
    "fin": "finance",
    "tech": "technology",
    "info": "information",
    "sys": "systems",
    "svc": "service",
    "svcs": "services",
    "cust": "customer",
    "rep": "representative",
    "reps": "representatives",
    "spec": "specialist",
    "coord": "coordinator",
    "supv": "supervisor",
    "tl": "team lead",
    "sme": "subject matter expert",
    "marcom": "marketing communications",
    "marcomm": "marketing communications",
    "marcomms": "marketing communications",
}

#: Multi-word expansions whose initials identify a C-level role (used to match "CFO" both ways).
_CLEVEL_WORDS = {v: k for k, v in ABBREVIATIONS.items() if v.startswith("chief ")}

# ------------------------------------------------------------------------------------------
# Seniority levels (0-7). The highest level found in a title wins.
# ------------------------------------------------------------------------------------------
SENIORITY_LEVELS: dict[int, str] = {
    0: "student/intern",
    1: "entry",
    2: "individual contributor",
    3: "senior",
    4: "manager",
    5: "director/head",
    6: "vice president",
    7: "C-level/owner",
}

_SENIORITY_PATTERNS: list[tuple[int, re.Pattern[str]]] = [
    (7, re.compile(r"\b(chief \w+( \w+){0,2} officer|chief executive|founder|co-?founder|owner|president|"
                   r"managing director|managing partner|general partner|partner|principal owner|"
                   r"gesch[aä]ftsf[uü]hrer|proprietor|chairman|chairwoman|chair of the board)\b")),
    (6, re.compile(r"\b(vice president|vice-president|head of global|group head)\b")),
    (5, re.compile(r"\b(director|head|directeur|directora|director general|dean|superintendent|"
                   r"controller|comptroller|treasurer)\b")),
    (4, re.compile(r"\b(manager|management lead|supervisor|team lead|team leader|lead|foreman|"
                   r"chief(?!( \w+){1,3} officer)|administrator of|principal)\b")),
    (3, re.compile(r"\b(senior|staff|expert|architect|specialist ii|consultant)\b")),
    (1, re.compile(r"\b(junior|entry level|entry-level|associate|assistant|trainee|graduate|"
                   r"apprentice|clerk|aide|helper)\b")),
    (0, re.compile(r"\b(intern|internship|student|werkstudent|praktikant|stagiaire)\b")),
]


#: "partner" naming a role rather than an owner: a qualifier before it ("HR Business Partner",
#: "Talent Acquisition Partner", "Channel Partner") or a role noun after it ("Partner Manager",
#: "Partner Marketing Lead"). Such a "partner" does not make the title Owner / Partner level; the
#: rest of the title decides ("Senior HR Business Partner" -> senior, "Channel Partner Manager" ->
#: manager). "Partner", "Managing Partner", "Audit Partner", "Partner at X" stay owner level.
_ROLE_PARTNER = re.compile(
    r"\b(business|talent|acquisition|people|hr|human resources|channel|account|alliance|alliances|"
    r"client|customer|success|learning|recruitment|recruiting|implementation|delivery|reseller|referral|"
    r"integration|technology|solutions?) partner\b"
    r"|\bpartner(?= (manager|management|marketing|success|development|sales|account|accounts|"
    r"program|programs|operations|engineer|engineering|enablement|director|executive|specialist|associate|"
    r"relations|ecosystem|lead|coordinator|solutions|support|onboarding|integrations?|network|channel)\b)"
)


def seniority_level(norm_title: str) -> int | None:
    """Seniority level 0-7 of a *normalised* title (see :data:`SENIORITY_LEVELS`), or None.

    The first matching tier in order C-level, VP, director/head, manager, senior, entry, intern
    wins. "vice president" (6) is checked before "president" (7) by removing it first.
    """
    t = norm_title
    if not t:
        return None
    if "partner" in t:
        t = _ROLE_PARTNER.sub(lambda m: m.group(0) + "role", t)
    if re.search(r"\b(vice president|vice-president)\b", t):
        if re.search(r"\b(senior|executive) vice president\b", t):
            return 6
        return 6
    for level, pat in _SENIORITY_PATTERNS:
        if pat.search(t):
            # "assistant director", "associate director" -> one tier below director
            if level in (4, 5, 6) and re.search(r"\b(assistant|associate|deputy)\b", t):
                return level - 1
            return level
    return 2


# ------------------------------------------------------------------------------------------
# Job functions: a title belongs to every function whose words it contains.
# Words are matched as prefixes of tokens (so "financ" matches finance, financial, financier).
# ------------------------------------------------------------------------------------------
FUNCTIONS: dict[str, tuple[str, ...]] = {
    "finance": ("financ", "fiscal", "treasur", "controller", "comptroller", "budget", "fp&a",
                "capital", "credit", "investor relations", "cash", "invest", "fund", "banking",
                "bank", "tax", "audit", "accountant", "accounting", "accounts", "payroll",
                "billing", "bookkeep", "actuar", "underwrit", "loan", "mortgage", "wealth",
                "portfolio", "asset management", "equity", "cost", "revenue accounting",
                "profit and loss", "finops", "finance operations"),
    "accounting": ("accountant", "accounting", "accounts", "bookkeep", "audit", "tax", "payroll",
                   "ledger", "billing", "receivable", "payable", "controller", "comptroller",
                   "certified public", "reconcil", "cost account"),
    "sales": ("sales", "selling", "account executive", "account manager", "business development",
              "commercial", "revenue", "inside sales", "territory", "channel", "key account",
              "salesperson", "salesman", "saleswoman", "retail associate", "merchandis",
              "go to market"),
    "marketing": ("marketing", "marketer", "brand", "advertis", "growth", "demand generation",
                  "content", "seo", "search engine", "social media", "digital market",
                  "campaign", "product marketing", "communications", "public relations",
                  "promotion", "media", "copywrit", "market research", "market analyst"),
    "communications": ("communication", "public relations", "press", "media relations",
                       "spokes", "publicist", "public affairs", "corporate affairs", "copywrit",
                       "editor", "journalis", "content"),
    "hr": ("human resources", "human resource", "people operations", "people and culture",
           "people and organisation", "people and organization",
           "personnel", "talent", "recruit", "staffing", "hiring", "employee relations",
           "compensation", "benefits", "payroll", "labor relations", "labour relations",
           "workforce", "learning and development", "training", "organizational development",
           "hr"),
    "recruiting": ("recruit", "talent acquisition", "headhunt", "staffing", "sourcer", "hiring",
                   "executive search", "placement"),
    "training": ("training", "trainer", "learning", "instruct", "teach", "education", "coach",
                 "curriculum", "e-learning", "elearning", "tutor"),
    "operations": ("operations", "operating", "operational", "general manager", "plant",
                   "production", "facility", "facilities", "business operations", "office manager",
                   "administrat"),
    "executive": ("chief executive", "president", "executive director", "managing director",
                  "general manager", "founder", "cofounder", "owner", "ceo", "chairman", "board member",
                  "geschaftsfuhrer", "executive officer", "country manager"),
    "software": ("software", "developer", "programmer", "programming", "web develop",
                 "application", "full stack", "fullstack", "front end", "frontend", "back end",
                 "backend", "mobile", "android", "ios", "java", ".net", "python", "javascript",
                 "coder", "devops", "sre", "site reliability", "cloud", "platform engineer"),
    "it": ("information technology", "information systems", "systems administrat",
           "network", "database", "infrastructure", "helpdesk", "help desk", "it support",
           "desktop support", "technical support", "sysadmin", "server", "cloud", "computer",
           "data center", "telecommunication", "cyber", "erp", "sap"),
    "security": ("security", "cyber", "infosec", "information assurance", "penetration",
                 "vulnerability", "threat", "soc analyst", "firewall", "forensic"),
    "data": ("data", "analytics", "business intelligence", "statistic", "machine learning",
             "artificial intelligence", "scientist", "quantitative", "reporting analyst",
             "insight", "big data", "etl", "tableau", "power bi"),
    "product": ("product manager", "product owner", "product management", "product lead",
                "product director"),
    "project": ("project", "program manager", "programme manager", "pmo", "scrum", "agile",
                "delivery manager", "project management"),
    "consulting": ("consult", "advisor", "adviser", "advisory", "management analyst"),
    "legal": ("legal", "lawyer", "attorney", "counsel", "solicitor", "barrister", "paralegal",
              "law", "litigat", "juris", "notary", "contracts manager", "advocate"),
    "compliance": ("compliance", "regulatory", "risk", "governance", "aml", "anti money",
                   "kyc", "ethics", "privacy", "internal control", "audit"),
    "procurement": ("procure", "purchas", "buyer", "sourcing", "vendor", "supplier",
                    "contracts", "category manager", "acquisition"),
    "supply_chain": ("supply chain", "logistic", "warehouse", "inventory", "distribution",
                     "shipping", "freight", "transport", "fleet", "dispatch", "fulfil",
                     "materials", "demand planning", "planner", "import", "export", "customs"),
    "manufacturing": ("manufactur", "production", "plant", "factory", "assembly", "process",
                      "industrial", "quality", "machin", "fabricat", "mill", "shop floor"),
    "engineering": ("engineer", "engineering", "mechanical", "electrical", "civil", "design engineer",
                    "structural", "chemical engineer", "aerospace", "automotive", "cad",
                    "technical director", "r&d", "research and development"),
    "healthcare": ("health", "clinic", "medical", "hospital", "patient", "nurs", "physician",
                   "doctor", "pharma", "care", "therap", "dental", "surgical", "rehabilita",
                   "caregiver"),
    "nursing": ("nurse", "nursing", "rn", "lpn", "midwife", "caregiver"),
    "design": ("design", "graphic", "artist", "illustrat", "creative", "visual", "art director",
               "animator", "ux", "ui", "user experience", "user interface", "layout",
               "multimedia", "photograph", "video"),
    "customer_service": ("customer service", "customer support", "customer care", "call center",
                         "call centre", "contact center", "contact centre", "client service",
                         "help desk", "helpdesk", "customer experience", "customer success",
                         "customer relations", "receptionist", "service representative",
                         "service agent"),
    "research": ("research", "scientist", "r&d", "laboratory", "lab "),
    "strategy": ("strategy", "strategic", "corporate development", "transformation"),
    "real_estate": ("real estate", "property", "leasing", "realtor", "broker"),
    "education": ("teacher", "professor", "lecturer", "school", "academic", "faculty", "dean",
                  "principal of"),
}

_FUNC_NAMES = tuple(FUNCTIONS)
_FUNCTION_RE = re.compile(
    r"\b(" + "|".join(sorted({re.escape(w.strip()) for ws in FUNCTIONS.values() for w in ws if len(w.strip()) >= 4},
                              key=len, reverse=True)) + r")"
)

# Role kinds: the head noun family of a title (what the person does day to day).
ROLE_KINDS: dict[str, tuple[str, ...]] = {
    "leader": ("chief", "president", "director", "head", "vice president", "manager", "lead",
               "supervisor", "superintendent", "controller", "comptroller", "treasurer",
               "founder", "cofounder", "owner", "partner", "principal", "executive director"),
    "developer": ("developer", "programmer", "engineer", "architect", "coder", "devops"),
    "analyst": ("analyst", "scientist", "statistician", "researcher", "economist", "actuary"),
    "specialist": ("specialist", "officer", "coordinator", "generalist", "associate",
                   "executive", "professional", "expert", "planner", "buyer", "agent"),
    "consultant": ("consultant", "advisor", "adviser"),
    "administrator": ("administrator", "admin"),
    "representative": ("representative", "rep", "agent", "associate", "salesperson", "seller",
                       "clerk", "teller", "receptionist"),
    "assistant": ("assistant", "clerk", "aide", "helper", "intern", "trainee", "apprentice"),
    "designer": ("designer", "artist", "illustrator", "animator"),
    "accountant": ("accountant", "auditor", "bookkeeper"),
    "lawyer": ("attorney", "lawyer", "counsel", "solicitor", "barrister"),
    "nurse": ("nurse", "midwife"),
    "technician": ("technician", "operator", "mechanic", "installer", "repairer", "worker"),
    "teacher": ("teacher", "trainer", "instructor", "lecturer", "professor", "tutor", "coach"),
}

# ------------------------------------------------------------------------------------------
# Normalisation
# ------------------------------------------------------------------------------------------
_NOISE_PARENS = re.compile(
    r"\((?:[^()]*\b(?:month|months|contract|remote|hybrid|onsite|on-site|work from home|wfh|"
    r"urgent|immediate|full[- ]time|part[- ]time|temporary|temp|permanent|shift|based|"
    r"location|m/f|f/m|m/w|w/m|h/f|f/h|m/f/d|m/w/d|d/f/m|fixed term|freelance|intern)\b[^()]*)\)",
    re.I,
)
_TOKEN = re.compile(r"[a-z0-9][a-z0-9&+#./'-]*[a-z0-9+#]|[a-z0-9]")
_SPLIT_DASH = re.compile(r"\s[-–—|]\s|\s*[|•·]\s*")
_STOP = frozenset("a an the of and for in at to with on by & / - cum".split())


def strip_accents(s: str) -> str:
    """Remove diacritics (``"Geschäftsführer"`` -> ``"Geschaftsfuhrer"``)."""
    if s.isascii():
        return s
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))


def _expand_tokens(text: str) -> str:
    out = []
    for tok in re.split(r"(\s+)", text):
        key = tok.strip().strip(",.;:")
        if key in ABBREVIATIONS:
            out.append(tok.replace(key, ABBREVIATIONS[key]))
        else:
            out.append(tok)
    return "".join(out)


@lru_cache(maxsize=200_000)
def normalize_title(title: str) -> str:
    """Clean, lower-cased, abbreviation-expanded title text ("" for empty input).

    Steps: accents removed; job-board noise in parentheses dropped (contract lengths, work
    modes, gender tags); an abbreviation in parentheses after its long form is dropped
    (``"Database Administrator (DBA)"``); text after ``" - "``/``"|"`` is dropped when the first
    part already names a role; separators ``/ , & + _`` become spaces or ``and``; tokens such
    as ``CFO``, ``VP``, ``FP&A``, ``HR`` are expanded (:data:`ABBREVIATIONS`).
    """
    if not title:
        return ""
    t = strip_accents(str(title)).strip()
    t = _NOISE_PARENS.sub(" ", t)
    t = t.lower()
    # job-board shorthand that is not a single token: "A&P", "P&O", "Business Dev"
    t = re.sub(r"\ba\s*&\s*p\b", "advertising and promotions", t)
    t = re.sub(r"\bp\s*&\s*o\b", "people and organisation", t)
    t = re.sub(r"\b(business|biz)\s*dev\b", "business development", t)
    # "Long Form (LF)" -> keep long form; "(LF)" alone kept as a token
    t = re.sub(r"\(([^()]*)\)", lambda m: _paren(m, t), t)
    parts = [p for p in _SPLIT_DASH.split(t) if p.strip()]
    if len(parts) > 1 and _has_role_word(parts[0]):
        # keep the parts that name a role or a job function ("Operations Manager - Application
        # Support"); drop locations, codes and other job-board noise ("- Kuala Lumpur -")
        t = " ".join(p for i, p in enumerate(parts) if i == 0 or _has_role_word(p) or _FUNCTION_RE.search(p))
    t = t.replace("&", " & ").replace("/", " / ").replace(",", " , ").replace("_", " ").replace("+", " ")
    # keep compound abbreviations with '&'
    t = re.sub(r"\bf\s*&\s*p\s*&\s*a\b|\bfp\s*&\s*a\b", "fp&a", t)
    t = re.sub(r"\bp\s*&\s*l\b", "p&l", t)
    t = re.sub(r"\bl\s*&\s*d\b", "l&d", t)
    t = re.sub(r"\br\s*&\s*d\b", "r&d", t)
    t = re.sub(r"\bm\s*&\s*a\b", "m&a", t)
    t = re.sub(r"\bf\s*&\s*b\b", "food and beverage", t)
    t = re.sub(r"\s+", " ", t).strip()
    # "Secretary to the COO", "Assistant to CFO": the job is the assistant's, not the boss's
    t = re.sub(r"^(.*?\b(?:secretary|assistant|pa|ea|aide|advisor|adviser|chief of staff))\s+to\s+.*$", r"\1", t)
    t = re.sub(r"\bco\s*-?\s*founder", "cofounder", t)
    t = _expand_tokens(t)
    t = re.sub(r"\s*&\s*", " and ", t)
    t = re.sub(r"\s*/\s*", " ", t)
    t = re.sub(r"\s*,\s*", " ", t)
    t = re.sub(r"[\"'`!?*:;]+", " ", t)
    t = re.sub(r"\.(\s|$)", " ", t)
    t = re.sub(r"(^|\s)(?:#\S+|[-#]?\d{2,}\S*)(?=\s|$)", " ", t)  # hashtags, reference codes
    t = re.sub(r"\s+", " ", t).strip(" -.")
    return t


def _paren(m: re.Match[str], text: str) -> str:
    """Drop a parenthesised alias of the title ("(CEO)", "(IT Manager)"), keep other content."""
    inner = m.group(1).strip()
    if not inner:
        return " "
    outside = (text[: m.start()] + " " + text[m.end():]).replace("&", " and ")
    out_words = set(re.findall(r"[a-z0-9]+", _expand_tokens(outside)))
    inner_words = [w for w in re.findall(r"[a-z0-9]+", _expand_tokens(inner)) if w not in _STOP]
    if inner_words and sum(w in out_words for w in inner_words) >= 0.6 * len(inner_words):
        return " "
    # initials: "Banking Center Manager (BCM)"
    if re.fullmatch(r"[a-z]{2,6}", inner):
        initials = "".join(w[0] for w in re.findall(r"[a-z0-9]+", text[: m.start()]) if w not in _STOP)
        if initials.endswith(inner):
            return " "
    return " " + inner + " "


_ROLE_WORD_RE = re.compile(
    r"\b(chief|officer|president|director|head|manager|lead|leader|supervisor|founder|co-?founder|"
    r"owner|partner|principal|controller|comptroller|treasurer|engineer|developer|programmer|"
    r"analyst|scientist|specialist|consultant|advisor|adviser|administrator|accountant|auditor|"
    r"attorney|lawyer|counsel|designer|architect|nurse|recruiter|representative|rep|coordinator|"
    r"associate|assistant|executive|agent|clerk|buyer|planner|technician|operator|teacher|"
    r"professor|lecturer|student|intern|trainee|apprentice|vp|svp|evp|ceo|cfo|coo|cto|cio|cmo|cro|"
    r"cso|cpo|ciso|chro|gm|md|strategist|editor|writer|marketer|generalist|bookkeeper|"
    r"geschaftsfuhrer|economist|actuary|underwriter|broker|trader|banker|physician|doctor|"
    r"therapist|pharmacist|superintendent|foreman|chair|chairman|board member|investor|"
    r"entrepreneur|freelancer|contractor|fractional|retired|secretary|receptionist|"
    r"salesperson|sales|marketing|finance|accounting|hr|recruiting|operations)\b"
)


_ROLE_HEAD_RE = re.compile(
    r"\b(chief|officer|president|director|head|manager|lead|leader|supervisor|founder|co-?founder|"
    r"cofounder|owner|partner|controller|comptroller|treasurer|engineer|developer|programmer|"
    r"analyst|scientist|specialist|consultant|advisor|adviser|administrator|accountant|auditor|"
    r"attorney|lawyer|counsel|designer|architect|nurse|recruiter|representative|coordinator|"
    r"executive|vp|svp|evp|ceo|cfo|coo|cto|cio|cmo|cro|cso|cpo|ciso|chro|gm|md|chairman|"
    r"geschaftsfuhrer|strategist|editor|writer|marketer|generalist|bookkeeper|buyer|planner)\b"
)


def split_roles(title: str) -> list[str]:
    """The separate roles of a combined title, or [] when it names one role.

    ``"President & CEO"`` -> ``["President", "CEO"]``, ``"CFO & Co-founder"`` -> ``["CFO",
    "Co-founder"]``, ``"Software Developer / Programmer"`` -> both; ``"VP of Finance & Ops"`` and
    ``"Sales & Marketing Executive"`` stay whole (one side names no role).
    """
    if not title:
        return []
    parts = [p.strip(" ,-") for p in re.split(r"\s*(?:&|/|\+|\band\b|\bcum\b|\||,)\s*", title) if p.strip(" ,-")]
    if len(parts) < 2 or len(parts) > 4:
        return []
    low = [strip_accents(p).lower() for p in parts]
    if all(_ROLE_HEAD_RE.search(p) for p in low):
        return parts
    return []


def _has_role_word(text: str) -> bool:
    return bool(_ROLE_WORD_RE.search(strip_accents(text).lower()))


def tokens(norm_title: str) -> list[str]:
    """Content tokens of a normalised title (stop words removed)."""
    return [w for w in _TOKEN.findall(norm_title) if w not in _STOP]


@dataclass(frozen=True)
class TitleFeatures:
    """Knowledge features of one title.

    ``norm``: normalised text; ``level``: seniority 0-7 or None; ``functions``: job functions
    (keys of :data:`FUNCTIONS`); ``roles``: role kinds (keys of :data:`ROLE_KINDS`).
    """

    norm: str
    level: int | None
    functions: frozenset[str] = field(default_factory=frozenset)
    roles: frozenset[str] = field(default_factory=frozenset)


_LEXICON_CACHE: dict[int, tuple[dict[str, frozenset[str]], list[tuple[str, tuple[str, ...]]], int]] = {}


def _compiled(lex: dict[str, tuple[str, ...]]) -> tuple[dict[str, frozenset[str]], list[tuple[str, tuple[str, ...]]], int]:
    """A lexicon as ``(prefixes, phrases, longest)``: ``prefixes`` maps each plain (one alphabetic
    word) entry word to the entry names that list it - such a word matches a title when a word of
    the title starts with it; ``phrases``: per entry with other words, those words with a leading
    space, matched as substrings of the space-padded title; ``longest``: the longest plain word."""
    key = id(lex)
    got = _LEXICON_CACHE.get(key)
    if got is None:
        index: dict[str, set[str]] = {}
        phrases: list[tuple[str, tuple[str, ...]]] = []
        for name, words in lex.items():
            for w in words:
                if " " not in w and w.isalpha():
                    index.setdefault(w, set()).add(name)
            ph = tuple(" " + w for w in words if not (" " not in w and w.isalpha()))
            if ph:
                phrases.append((name, ph))
        longest = max((len(w) for w in index), default=0)
        got = ({w: frozenset(n) for w, n in index.items()}, phrases, longest)
        _LEXICON_CACHE[key] = got
    return got


_WORD_RUN = re.compile(r"\w+")


def _match_lexicon(norm: str, lex: dict[str, tuple[str, ...]]) -> frozenset[str]:
    """Names of the ``lex`` entries found in the normalised title ``norm``: a plain entry word
    that starts a word of the title (what ``\\b(?:w1|w2...)`` finds: the words are alphabetic, so a
    match lies inside one run of word characters and begins at its start), or a phrase found as a
    substring of the space-padded title. One dictionary probe per prefix of each title word
    instead of one regex search per entry."""
    prefixes, phrases, longest = _compiled(lex)
    out: set[str] = set()
    for run in _WORD_RUN.findall(norm):
        for k in range(1, min(len(run), longest) + 1):
            hit = prefixes.get(run[:k])
            if hit:
                out.update(hit)
    padded = " " + norm + " "
    for name, ph in phrases:
        if name not in out and any(p in padded for p in ph):
            out.add(name)
    return frozenset(out)


#: "Product Owner", "Process Owner", "Data Owner"...: the owner of a work artefact (an agile or
#: governance role, read as a lead), not the owner of a business (a top executive).
_ARTEFACT_OWNER = re.compile(
    r"\b(product|process|service|system|data|application|platform|technology|development|"
    r"content|risk|control|feature|solution|asset|budget|account|relationship|workstream|"
    r"capability|business process)(s?) owner\b")


@lru_cache(maxsize=200_000)
def title_features(title: str) -> TitleFeatures:
    """:class:`TitleFeatures` of a raw title (normalised first). Cached.

    An artefact owner (``"Product Owner"``, ``"Process Owner"``) counts as a lead (level 4), not
    as a business owner (level 7, executive function).
    """
    norm = normalize_title(title)
    if not norm:
        return TitleFeatures("", None)
    view = _ARTEFACT_OWNER.sub(r"\1\2 lead", norm)
    # lexicon view: "vice president" is a rank, not the executive function; the "officer" of a
    # C-level title is not a specialist role
    lex = re.sub(r"\b(senior |executive |assistant )?vice president\b", "vp-rank", view)
    lex = re.sub(r"\bchief ((?:\w+ ){1,3})officer\b", r"chief \1", lex)
    roles = _match_lexicon(lex, ROLE_KINDS)
    if "vp-rank" in lex:
        roles = roles | {"leader"}
    return TitleFeatures(
        norm=norm,
        level=seniority_level(view),
        functions=_match_lexicon(lex, FUNCTIONS),
        roles=roles,
    )


# ------------------------------------------------------------------------------------------
# Headlines
# ------------------------------------------------------------------------------------------
_HEADLINE_SPLIT = re.compile(r"\s*(?:\||•|·|—|–|\s-\s|;|\n|/{2}|:\s)\s*")
_AT_SPLIT = re.compile(r"\s+(?:at|@|chez|bei|en|presso)\s+|\s*@\s*", re.I)


_UNCLOSED_PAREN = re.compile(r"\s*\([^()]*$")
_NOT_A_TITLE = re.compile(
    r"^(helping|hiring|building|driving|passionate|empowering|making|turning|scaling|creating|"
    r"growing|transforming|connecting|looking|seeking|exploring|obsessed|love|loving|on a mission|"
    r"i |i'm|we |we're|retired|avid)\b"
)


@dataclass(frozen=True)
class ParsedHeadline:
    """Titles and companies read from a headline (both possibly empty)."""

    titles: tuple[str, ...]
    companies: tuple[str, ...]


@lru_cache(maxsize=100_000)
def parse_headline(headline: str | None) -> ParsedHeadline:
    """Split a LinkedIn headline into job titles and companies.

    Handles ``"VP Finance at X | SaaS metrics nerd"``, ``"CFO | Y | ex-Big4"``,
    ``"Founder & CEO, Z (AI for procurement)"``, ``"Head of Revenue Operations @ W"``,
    ``"Growth Marketing Lead — V"``. A segment counts as a title when it contains a role word;
    the text after ``at``/``@`` (or after the first comma of a role segment) is a company.
    Segments starting with ``ex-``/``former`` are past roles and ignored. Returns at most 3
    titles, most prominent (first) first.
    """
    if not headline:
        return ParsedHeadline((), ())
    h = str(headline).strip()
    if not h or h.strip("-–— .") == "":
        return ParsedHeadline((), ())
    titles: list[str] = []
    companies: list[str] = []
    for seg in _HEADLINE_SPLIT.split(h):
        # a split inside parentheses ("Consultant (Ref: 12)") leaves an unclosed "(": drop it
        seg = _UNCLOSED_PAREN.sub("", seg).strip(" ,.-–—")
        if not seg:
            continue
        low = strip_accents(seg).lower()
        if re.match(r"^(ex[- ]|former|formerly|previously|prev\.?\s)", low):
            continue
        parts = _AT_SPLIT.split(seg, maxsplit=1)
        role = parts[0].strip(" ,")
        comp = parts[1].strip(" ,") if len(parts) > 1 else ""
        if not comp and "," in role:
            head, _, rest = role.partition(",")
            if _has_role_word(head):
                role, comp = head.strip(), re.sub(r"\(.*?\)", "", rest).strip()
        role = re.sub(r"\s*\((?:[^()]*)\)\s*$", "", role).strip() or role
        # "Fractional CFO for e-commerce brands" -> "Fractional CFO"
        m_for = re.match(r"^(.{2,60}?)\s+(?:for|helping|to|who|with|in|across)\s+(.+)$", role, re.I)
        if m_for and _has_role_word(m_for.group(1)) and len(m_for.group(1).split()) <= 6:
            role = m_for.group(1).strip()
        if _has_role_word(role) and len(role) <= 90 and not _NOT_A_TITLE.match(strip_accents(role).lower()):
            titles.append(role)
            if comp:
                companies.append(comp)
        elif comp and titles and not companies:
            companies.append(comp)
    # bare company right after a title segment: "CFO | Vantrella Health | ex-Big4"
    if titles and not companies:
        segs = [s.strip(" ,.-–—") for s in _HEADLINE_SPLIT.split(h) if s.strip(" ,.-–—")]
        for i, s in enumerate(segs[:-1]):
            if s == titles[0] and not _has_role_word(segs[i + 1]) and len(segs[i + 1]) <= 60:
                companies.append(segs[i + 1])
                break
    return ParsedHeadline(tuple(titles[:3]), tuple(companies[:2]))


# ------------------------------------------------------------------------------------------
# Status (student, retiree, recruiter, open to work)
# ------------------------------------------------------------------------------------------
_STATUS_PATTERNS: dict[str, re.Pattern[str]] = {
    "student": re.compile(
        r"\b(student|studying|undergrad|undergraduate|graduand|mba candidate|phd candidate|"
        r"bachelor'?s? student|master'?s? student|aspiring|incoming intern|class of 20\d\d|"
        r"estudiante|etudiant|studentin|werkstudent)\b", re.I),
    "retired": re.compile(r"\b(retired|retiree|in retirement|jubilado|rentner|pensioner)\b", re.I),
    "recruiter": re.compile(
        r"\b(recruiter|recruiting|recruitment|talent acquisition|headhunter|head hunter|"
        r"executive search|staffing|sourcer|talent partner)\b", re.I),
    "open_to_work": re.compile(
        r"(#?open ?to ?work\b|\bopen to (new )?(opportunities|roles|positions)\b|"
        r"\bseeking (new )?(opportunities|a new role|employment|roles?|positions?)\b|"
        r"\blooking for (new )?(opportunities|a new role|work|a job|my next)\b|"
        r"\bactively looking\b|\bjob seeker\b|\bavailable for hire\b|\bunemployed\b|"
        r"\bbetween jobs\b)", re.I),
}


def detect_status(*texts: str | None) -> frozenset[str]:
    """Status flags found in the given texts (headline, current titles).

    Returns a subset of ``{"student", "retired", "recruiter", "open_to_work"}``. A recruiter
    flag needs the word in a role position (e.g. "Recruiter at", "Talent Acquisition Lead"),
    not "hiring finance leaders" alone.
    """
    out: set[str] = set()
    for text in texts:
        if text:
            out.update(_text_status(str(text)))
    return frozenset(out)


@lru_cache(maxsize=200_000)
def _text_status(text: str) -> frozenset[str]:
    """:func:`detect_status` of one text (cached: a page repeats its titles)."""
    t = strip_accents(text)
    return frozenset(name for name, pat in _STATUS_PATTERNS.items() if pat.search(t))
