"""Domain types shared by every stage. Plain data, no I/O.

* :class:`ICP` - what a client wants to reach (the JSON file of the CLI, a row of ``client_icps``).
* :class:`Follower` - one person found in an upload (saved page, Connections.csv, URL list).
* :class:`Profile` - what enrichment knows about a person (page data or an Apify item).
* :class:`ScoreResult` - the scorer's verdict for one lead.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .enums import Bucket, FeedbackLabel, LeadStatus, values

#: LinkedIn company size bands (``employeeCountRange`` buckets; 2-10 and 0-1 fold into 1-10).
SIZE_BANDS: tuple[str, ...] = (
    "1-10",
    "11-50",
    "51-200",
    "201-500",
    "501-1000",
    "1001-5000",
    "5001-10000",
    "10001+",
)

#: Values of :class:`~icp_engine.enums.LeadStatus` and :class:`~icp_engine.enums.FeedbackLabel`.
LEAD_STATUSES: tuple[str, ...] = values(LeadStatus)
FEEDBACK_LABELS: tuple[str, ...] = values(FeedbackLabel)


class ICP(BaseModel):
    """Ideal Customer Profile of one client.

    JSON form (CLI ``--icp`` file, ``client_icps.icp`` column)::

        {"name": "Finance leaders", "target_titles": ["CFO", "VP Finance"],
         "target_industries": ["Software Development"], "company_sizes": ["51-200"],
         "keywords": ["SaaS"], "notes": "..."}

    ``company_sizes`` holds size bands from :data:`SIZE_BANDS` or named sizes (``startup``,
    ``mid-market``, ``enterprise``...), mapped onto bands by the scorer. ``exclusions`` are
    free-text phrases (e.g. ``"student"``, ``"recruiter"``, a competitor's name) that push a lead
    to the bottom. ``locations`` is optional ("nice to have"); empty means location is not a
    criterion. ``functions`` / ``seniorities`` are optional LinkedIn Sales Navigator job functions
    ("Finance", "Information Technology"...) and seniority levels ("CXO", "Vice President",
    "Director"...; :mod:`icp_engine.scoring.functions` lists both); when empty, the scorer
    infers them from ``target_titles``. Unknown keys are ignored so older/newer files load.
    """

    model_config = ConfigDict(extra="ignore")

    name: str = ""
    target_titles: list[str] = Field(default_factory=list)
    target_industries: list[str] = Field(default_factory=list)
    company_sizes: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    locations: list[str] = Field(default_factory=list)
    exclusions: list[str] = Field(default_factory=list)
    company_types: list[str] = Field(default_factory=list)
    functions: list[str] = Field(default_factory=list)
    seniorities: list[str] = Field(default_factory=list)
    notes: str = ""

    @field_validator(
        "target_titles", "target_industries", "company_sizes", "keywords", "locations",
        "exclusions", "company_types", "functions", "seniorities", mode="before",
    )
    @classmethod
    def _clean_list(cls, v: Any) -> list[str]:
        if v is None:
            return []
        if isinstance(v, str):
            v = [p for p in v.replace("\n", ",").split(",")]
        out: list[str] = []
        for item in v:
            s = str(item).strip()
            if s and s not in out:
                out.append(s)
        return out

    def is_empty(self) -> bool:
        """True when no criterion is set (nothing to score against)."""
        return not (self.target_titles or self.target_industries or self.company_sizes
                    or self.keywords or self.locations or self.functions or self.seniorities
                    or self.company_types)


@dataclass
class Follower:
    """One person found in an uploaded file.

    ``key`` is the canonical profile key: the ``ACoAA…`` profile id (39 chars, case kept) when
    the link carries no vanity, else the lower-cased, percent-decoded vanity name. ``profile_id``
    and ``vanity`` are aliases known for the same person (either may be None). ``url`` is the
    link as found (entities unescaped), what is sent to a scraper; ``profile_url`` is the clean
    canonical ``https://www.linkedin.com/in/<id-or-vanity>`` form for export.

    **People without a profile URL** (``Connections.csv`` exports of 2018-2023 have no ``URL``
    column, FORMATS.md §H): ``has_url`` is False, ``url`` and ``profile_url`` are ``""`` (the
    ``leads`` columns are NOT NULL text; nothing can be sent to a scraper), and ``key`` is the
    name + company key of :func:`name_company_key`::

        name:<normalised full name>|<normalised company>     e.g. "name:tamsin okafor|veldmark staffing"

    Normalisation (:func:`normalise_name_part`): Unicode NFKD, accents and emoji dropped,
    case-folded, every run of non-alphanumeric characters -> one space; the company also loses
    trailing legal-form words (``Inc``, ``Ltd``, ``GmbH``, ``S.A.``, ``s.r.o.``, ``& Co`` ...;
    :data:`LEGAL_SUFFIXES`). The company part is empty when unknown (``"name:oskar lind|"``).
    Such a key can never equal a URL key: vanity names contain neither ``:`` nor ``|``, ``ACoAA…``
    ids neither. The same function applied to an enriched profile's name and current company
    (:meth:`Profile.name_company_key`) gives the value a later upload with URLs can be linked on.

    ``connected_on``: ISO date (``YYYY-MM-DD``) of the ``Connected On`` cell of an export, else None.
    """

    key: str
    url: str
    profile_url: str
    profile_id: str | None = None
    vanity: str | None = None
    member_urn: str | None = None
    name: str | None = None
    headline: str | None = None
    location: str | None = None
    degree: str | None = None
    company: str | None = None
    title: str | None = None
    has_url: bool = True
    connected_on: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def name_company_key(self) -> str | None:
        """:func:`name_company_key` of this follower's name and company (None without a name)."""
        return name_company_key(self.name, self.company)


#: Legal-form words dropped from the end of a company name for :func:`name_company_key`
#: (after normalisation, so "S.A." is "s a" and "s.r.o." is "s r o").
LEGAL_SUFFIXES: tuple[str, ...] = (
    "inc", "incorporated", "llc", "l l c", "llp", "lp", "ltd", "limited", "plc", "corp",
    "corporation", "co", "company", "gmbh", "mbh", "ag", "kg", "kgaa", "se", "sa", "s a", "sas",
    "s a s", "sarl", "srl", "s r l", "spa", "s p a", "bv", "b v", "nv", "n v", "ab", "as", "asa",
    "a s", "oy", "oyj", "aps", "pty", "pte", "pvt", "lda", "sro", "s r o", "doo", "d o o", "kft",
    "zrt", "sp z o o", "bhd", "sdn bhd", "group",
)
_LEGAL_RE = re.compile(r"(?:\s(?:" + "|".join(re.escape(x) for x in sorted(LEGAL_SUFFIXES, key=len, reverse=True))
                       + r"))+$")


#: Runs of ASCII letters and digits: for ASCII text, the words :func:`normalise_name_part` keeps.
_ASCII_ALNUM_RUN = re.compile(r"[0-9a-z]+")


def normalise_name_part(text: str | None, *, company: bool = False) -> str:
    """Normalised name or company for :func:`name_company_key` (rules in :class:`Follower`);
    ``""`` for None/blank. ``"Zoë Hart 🌱"`` -> ``"zoe hart"``; with ``company=True``
    ``"Grupo Azteca Foods, S.A."`` -> ``"grupo azteca foods"``, ``"Nair & Co"`` -> ``"nair"``."""
    if not text:
        return ""
    s = str(text)
    if s.isascii():  # the same result, without the per-character loops (most names and companies)
        s = " ".join(_ASCII_ALNUM_RUN.findall(s.lower()))
    else:
        s = unicodedata.normalize("NFKD", s)
        s = "".join(ch for ch in s if not unicodedata.combining(ch)).casefold()
        s = "".join(ch if ch.isalnum() else " " for ch in s)  # emoji, punctuation, symbols -> space
        s = " ".join(s.split())
    if company and s:
        stripped = _LEGAL_RE.sub("", " " + s).strip()
        s = stripped or s
    return s


def name_company_key(name: str | None, company: str | None) -> str | None:
    """The name + company key of a person without a profile URL (format in :class:`Follower`):
    ``name_company_key("Tamsin Okafor", "Veldmark Staffing Ltd.")`` ->
    ``"name:tamsin okafor|veldmark staffing"``. None when the name normalises to nothing.
    Pure; use it on a follower, an enriched :class:`Profile` or an Apify item's name and current
    company alike, so a URL-keyed lead and a name-keyed lead can be linked on the same value."""
    n = normalise_name_part(name)
    if not n:
        return None
    return f"name:{n}|{normalise_name_part(company, company=True)}"


def is_name_key(key: str | None) -> bool:
    """True for a :func:`name_company_key` value (a lead without a profile URL)."""
    return key is not None and key.startswith("name:")


@dataclass
class Profile:
    """What enrichment knows about one person; every field may be missing (None / empty).

    ``titles``: all current job titles (positions without an end date), most relevant first.
    ``company``: first current company. ``company_size``: a :data:`SIZE_BANDS` label.
    ``industry``: the company's industry (LinkedIn label as given by the source).
    ``past_roles``: up to 2 earlier roles as ``"Title at Company"``. ``company_type``: one of
    :data:`icp_engine.taxonomy.COMPANY_TYPES` when classified, else None. ``source`` names the
    provider (``page``, ``apify-json``, ``apify``, ``connections``).

    **Data versus guesses.** ``industry`` is only ever an industry *from data*: the company data of
    the enrichment source (an Apify item), an LLM's classification with a key, or a page that
    states it; never a guess from the letters of a company name (issue 8). A scorer may count it
    as a match or a mismatch. ``industry_guess`` is a LinkedIn V2 label guessed offline by a
    measured rule (:data:`icp_engine.classify.NAME_GUESS_RULES`, right >= 95 % of the time on a
    labelled set; ``leads.industry_guess``), set only when ``industry`` is None: a scorer may give
    it weak positive credit but must never count it as a mismatch. ``company_type_is_guess`` is
    True when ``company_type`` was inferred rather than stated (``"startup"`` read from a founder
    title alone; ``leads.company_type_is_guess``): same rule, never a mismatch.
    """

    name: str | None = None
    headline: str | None = None
    location: str | None = None
    titles: list[str] = field(default_factory=list)
    company: str | None = None
    company_size: str | None = None
    industry: str | None = None
    summary: str | None = None
    past_roles: list[str] = field(default_factory=list)
    skills: list[str] = field(default_factory=list)
    company_type: str | None = None
    profile_id: str | None = None
    vanity: str | None = None
    source: str = "page"
    industry_guess: str | None = None
    company_type_is_guess: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def name_company_key(self) -> str | None:
        """:func:`name_company_key` of the name and (first current) company; None without a name."""
        return name_company_key(self.name, self.company)


@dataclass
class ScoreResult:
    """Scorer verdict for one lead.

    ``icp_score``: 0-100 = 100 x the calibrated probability that the client keeps the lead
    (absolute: the same lead and ICP always get the same score, whatever the batch).
    ``bucket``: ``strong`` (P >= 0.8), ``good`` (0.6-0.8), ``possible`` (0.4-0.6), ``poor``
    (< 0.4). ``match_reasoning``: one line naming each criterion's evidence and verdict.
    ``components``: JSON-safe per-criterion evidence (fits in 0-1, None when unknown; keys in the
    README, "Score components"), for display and learning.
    """

    icp_score: float
    bucket: str
    match_reasoning: str
    components: dict[str, Any] = field(default_factory=dict)


def bucket_for(score: float) -> Bucket:
    """Map a 0-100 score (100 x probability of keep) to its :class:`~icp_engine.enums.Bucket`:
    80+ strong, 60-80 good, 40-60 possible, else poor."""
    if score >= 80:
        return Bucket.STRONG
    if score >= 60:
        return Bucket.GOOD
    if score >= 40:
        return Bucket.POSSIBLE
    return Bucket.POOR
