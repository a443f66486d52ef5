"""Field extraction from scraped LinkedIn profile items (Apify dataset items) into :class:`Profile`.

Main shape: the item of actor ``yZnhB5JewWf9xSmoM`` (``supreme_coder/linkedin-profile-scraper``),
described in ``FORMATS.md`` §B.3 (public evidence: real items of the same-lineage actor and the
original system ``ZainJaffer/ICPv2:app/services/enrichment.py``). The items of two other popular
profile actors (``harvestapi/linkedin-profile-scraper`` and ``dev_fusion/Linkedin-Profile-Scraper``,
§B.5, including dev_fusion's "UI-shaped" experiences of §H) are recognised by their keys and mapped
onto the same :class:`Profile` fields. Every shape, with examples, is documented in
``docs/apify_item_shapes.md``; fictional fixtures of each are in ``tests/fixtures/enrich/``.

Rules (supreme_coder shape):

* ``titles``: every position without ``timePeriod.endDate`` (a current position), in item order.
* ``company``: the company of the first current position (after the junk repair below); else
  ``currentCompany.name``; else the top-level ``companyName`` when it is not junk.
* ``company_size``: a :data:`~icp_engine.domain.SIZE_BANDS` label. With ``scrapeCompany`` the
  ``currentCompany`` object describes the current employer; when it is the same company as that
  position (same ``universalName``, or the same name ignoring case, accents and legal forms), its
  exact ``employeeCount`` (15 -> ``11-50``) wins; else the position's
  ``company.employeeCountRange`` (``{start, end}``; 0-1 and 2-10 fold into ``1-10``;
  ``{start: 10001}`` is ``10001+``).
* ``industry``: that same ``currentCompany``'s ``industries[].name`` (LinkedIn's current taxonomy);
  else the position's ``company.industries[0]`` (legacy names); else the person's
  ``industryName`` (last resort: it is the member's, not the company's).
* ``location``: ``geoLocationName`` + ``", "`` + ``geoCountryName``; else ``locationName``; else
  ``geoCountryName`` alone.
* ``summary``: ``summary`` or ``about`` (empty string -> None).
* ``past_roles``: up to 2 positions with an end date, as ``"Title at Company"``.
* ``skills``: strings, or objects with ``name`` / ``title``.
* ``headline``: ``headline`` or ``occupation``; the placeholder ``"--"`` is dropped.

Grouped-company junk (observed in real data of this actor, §B.3 "Quirk"): when LinkedIn groups
several roles under one company, an extra position appears whose ``title`` is the company name
and whose company name is a duration or employment type (``"8 yrs 1 mo"``, ``"Full-time"``,
``"Full-time · 11 yrs 4 mos"``); the top-level ``companyName`` then holds the same junk and
``jobTitle`` the company name. Such a header entry is detected with :func:`is_duration_or_employment_type`
and repaired: its title becomes its company; when another position names that company the header is
dropped, otherwise it is kept as a current company without a title. Positions right below a header
that lack a company inherit the header's company.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

from ..domain import SIZE_BANDS, Profile, normalise_name_part
from ..taxonomy import size_band_from_count

#: A LinkedIn profile URN id: ``ACoAA`` + 34 characters, case-sensitive (FORMATS.md §A.3).
PROFILE_ID_RE = re.compile(r"^ACoAA[A-Za-z0-9_-]{34}$")

_EMPLOYMENT_TYPES = (
    "full-time", "full time", "part-time", "part time", "self-employed", "self employed",
    "freelance", "contract", "contractor", "internship", "apprenticeship", "seasonal",
    "permanent", "temporary", "volunteer", "trainee", "permanent full-time",
    "permanent part-time", "vollzeit", "teilzeit",
)
_DURATION_RE = re.compile(
    r"^(?:less than a year|"
    r"(?:\d+\s*(?:yrs?|years?|mos?|months?|jahre?|monate?)\s*)+)$",
    re.IGNORECASE,
)
_DATE_RANGE_RE = re.compile(
    r"^(?:[a-z]{3,9}\.?\s+)?\d{4}\s*[-–]\s*(?:present|heute|(?:[a-z]{3,9}\.?\s+)?\d{4})$", re.IGNORECASE
)

_PLACEHOLDER_HEADLINES = {"--", "-", "—", "n/a", "."}


def is_duration_or_employment_type(value: Any) -> bool:
    """True when ``value`` is a duration / employment-type string, not a company name.

    Examples that are junk: ``"8 yrs 1 mo"``, ``"Full-time"``, ``"Full-time · 11 yrs 4 mos"``,
    ``"less than a year"``, ``"Jul 2022 - Present · 3 yrs 5 mos"``. Parts separated by ``·`` or
    ``•`` must each be an employment type, a duration or a date range. Non-strings -> False.
    """
    if not isinstance(value, str):
        return False
    s = value.strip()
    if not s:
        return False
    parts = [p.strip() for p in re.split(r"[·•]", s) if p.strip()]
    if not parts:
        return False
    for p in parts:
        low = p.lower()
        if low in _EMPLOYMENT_TYPES or _DURATION_RE.match(low) or _DATE_RANGE_RE.match(low):
            continue
        return False
    return True


def size_band(value: Any) -> str | None:
    """Map a company size to a :data:`SIZE_BANDS` label, or None when unknown.

    Accepts an ``employeeCountRange`` dict ``{start, end?}`` (the band is chosen by ``start``),
    an exact head count (int, or digits string, e.g. ``currentCompany.employeeCount``), or a band
    string such as ``"2-10"``, ``"201-500"``, ``"10,001+"``, ``"51-200 employees"`` (dev_fusion's
    ``companySize``). 0-1 and 2-10 fold into ``"1-10"``.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, dict):
        start = value.get("start")
        end = value.get("end")
        if isinstance(start, (int, float)) and not isinstance(start, bool):
            return _band_for_count(int(start) if start > 0 else (int(end) if isinstance(end, (int, float)) else 1))
        if isinstance(end, (int, float)) and not isinstance(end, bool):
            return _band_for_count(int(end))
        return None
    if isinstance(value, (int, float)):
        return _band_for_count(int(value)) if value >= 0 else None
    if isinstance(value, str):
        s = value.replace(",", "").replace(".", "").strip().lower()
        m = re.match(r"^(\d+)\s*(?:[-–]\s*(\d+)|\+)?", s)
        if not m:
            return None
        return _band_for_count(int(m.group(1)) if int(m.group(1)) > 0 else 1)
    return None


def _band_for_count(n: int) -> str:
    return size_band_from_count(max(n, 1)) or SIZE_BANDS[-1]


def _s(value: Any) -> str | None:
    """Stripped non-empty string or None."""
    if value is None:
        return None
    if not isinstance(value, str):
        value = str(value)
    value = value.strip()
    return value or None


def normalise_vanity(value: Any) -> str | None:
    """Lower-cased, percent-decoded vanity name (``J%C3%BCrgen-A`` -> ``jürgen-a``), or None."""
    s = _s(value)
    if not s:
        return None
    return unquote(s).strip().strip("/").lower() or None


def _profile_id(value: Any) -> str | None:
    s = _s(value)
    return s if s and PROFILE_ID_RE.match(s) else None


def item_keys(item: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    """Identity of an item: ``(profile_id, vanity, input_url)``.

    ``profile_id``: the ``ACoAA…`` id (case kept) from ``profileId``, else ``id`` or ``urn`` when
    they hold one (FORMATS.md §B.3: ``id`` sometimes holds it; dev_fusion uses ``urn``).
    ``vanity``: ``publicIdentifier`` (or apimaestro's ``basic_info.public_identifier``)
    lower-cased and percent-decoded. ``input_url``: ``inputUrl`` as echoed by the actor (or
    harvestapi's ``originalQuery`` / ``query`` when it is a URL). Missing parts are None.
    """
    if not isinstance(item, dict):
        return None, None, None
    pid = _profile_id(item.get("profileId")) or _profile_id(item.get("id")) or _profile_id(item.get("urn"))
    vanity = normalise_vanity(item.get("publicIdentifier"))
    if vanity is None and isinstance(item.get("basic_info"), dict):
        vanity = normalise_vanity(item["basic_info"].get("public_identifier"))
    input_url = _s(item.get("inputUrl")) or _s(item.get("input_url"))
    if input_url is None:
        for k in ("originalQuery", "query"):
            v = _s(item.get(k))
            if v and "linkedin.com/in/" in v:
                input_url = v
                break
    return pid, vanity, input_url


def is_empty_item(item: dict[str, Any]) -> bool:
    """True for an item that carries no profile data: an error item (``succeeded: false`` /
    ``error``) or one with only ``inputUrl`` (FORMATS.md §B.3 "Failure behaviour", §B.5 dev_fusion).
    Such items mean "profile not returned"."""
    if not isinstance(item, dict):
        return True
    if item.get("succeeded") is False:
        return True
    data_keys = set(item) - {"inputUrl", "input_url", "error", "errorMessage", "succeeded", "url", "query",
                             "originalQuery", "status", "message"}
    return not data_keys


# ---------------------------------------------------------------------------------------------
# supreme_coder (yZnhB5JewWf9xSmoM)
# ---------------------------------------------------------------------------------------------


def _is_current(position: dict[str, Any]) -> bool:
    tp = position.get("timePeriod")
    if not isinstance(tp, dict):
        # no time period at all: newer versions carry totalDuration "... - Present"
        total = _s(position.get("totalDuration")) or ""
        return "present" in total.lower() or not total
    return not tp.get("endDate")


def _company_obj(position: dict[str, Any]) -> dict[str, Any]:
    c = position.get("company")
    return c if isinstance(c, dict) else {}


def _position_company(position: dict[str, Any]) -> str | None:
    return _s(_company_obj(position).get("name")) or _s(position.get("companyName"))


def _industries(company: dict[str, Any]) -> list[str]:
    out = []
    for ind in company.get("industries") or []:
        name = ind.get("name") if isinstance(ind, dict) else ind
        name = _s(name)
        if name:
            out.append(name)
    return out


def _skills(raw: Any) -> list[str]:
    out: list[str] = []
    for s in raw or []:
        if isinstance(s, dict):
            s = s.get("name") or s.get("title")
        s = _s(s)
        if s and s not in out:
            out.append(s)
    return out


def _name(item: dict[str, Any]) -> str | None:
    full = " ".join(p for p in (_s(item.get("firstName")), _s(item.get("lastName"))) if p)
    return full or _s(item.get("fullName"))


def _headline(*values: Any) -> str | None:
    for v in values:
        s = _s(v)
        if s and s.lower() not in _PLACEHOLDER_HEADLINES:
            return s
    return None


def _repair_positions(positions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Normalised positions ``{title, company, current, company_obj}`` with grouped-company
    header entries repaired (see module docstring)."""
    rows: list[dict[str, Any]] = []
    header_company: str | None = None
    for p in positions:
        if not isinstance(p, dict):
            continue
        title = _s(p.get("title"))
        cname = _s(_company_obj(p).get("name"))
        top_cname = _s(p.get("companyName"))
        if is_duration_or_employment_type(cname) or (cname is None and is_duration_or_employment_type(top_cname)):
            # grouped-company header: the title holds the company name
            header_company = title
            rows.append({"title": None, "company": title, "current": _is_current(p),
                         "company_obj": {}, "header": True})
            continue
        if is_duration_or_employment_type(title):  # swapped the other way round
            title = None
        company = cname if cname else (top_cname if not is_duration_or_employment_type(top_cname) else None)
        if company is None and header_company:
            company = header_company
        elif company and header_company and company.casefold() != header_company.casefold():
            header_company = None  # a position of another company ends the group
        rows.append({"title": title, "company": company, "current": _is_current(p),
                     "company_obj": _company_obj(p), "header": False})
    # drop headers whose company another position names
    named = {(r["company"] or "").casefold() for r in rows if not r["header"] and r["company"]}
    return [r for r in rows if not (r["header"] and (r["company"] or "").casefold() in named)]


def _same_company(a: str | None, b: str | None, a_universal: str | None = None,
                  b_universal: str | None = None) -> bool:
    """Whether two company references name the same company: same ``universalName`` (LinkedIn's
    company slug), or the same name once case, accents and legal forms are ignored
    (``"Danubius Foods d.o.o."`` == ``"danubius foods"``)."""
    if a_universal and b_universal:
        return a_universal.casefold() == b_universal.casefold()
    if not a or not b:
        return False
    return normalise_name_part(a, company=True) == normalise_name_part(b, company=True)


def _from_supreme(item: dict[str, Any], source: str) -> Profile:
    rows = _repair_positions(item.get("positions") or [])
    current = [r for r in rows if r["current"]]
    past = [r for r in rows if not r["current"]]

    titles: list[str] = []
    for r in current:
        if r["title"] and r["title"] not in titles:
            titles.append(r["title"])

    cc = item.get("currentCompany") if isinstance(item.get("currentCompany"), dict) else {}
    first = next((r for r in current if not r["header"] and r["company"]), None) or next(
        (r for r in current if r["company"]), None
    )
    company = first["company"] if first else None
    top_company = _s(item.get("companyName"))
    if top_company and is_duration_or_employment_type(top_company):
        top_company = None
    if company is None:
        company = _s(cc.get("name")) or (top_company if not rows else None)
    if not titles and not rows:
        jt = _s(item.get("jobTitle"))
        if jt and not is_duration_or_employment_type(jt) and jt != company:
            titles.append(jt)

    size = None
    industry = None
    # scrapeCompany: the current employer's page (exact head count, current industry taxonomy)
    # beats the position's employeeCountRange band and its legacy industry names (§B.3, §H)
    obj = first["company_obj"] if first is not None else {}
    same_cc = bool(cc) and (company is None or _same_company(
        company, _s(cc.get("name")), _s(obj.get("universalName")), _s(cc.get("universalName"))))
    if same_cc:
        size = size_band(cc.get("employeeCount")) or size_band(cc.get("employeeCountRange"))
        inds = _industries(cc)
        industry = inds[0] if inds else None
    if first is not None:
        size = size or size_band(obj.get("employeeCountRange"))
        if industry is None:
            inds = _industries(obj)
            industry = inds[0] if inds else None
    if industry is None:
        industry = _s(item.get("industryName"))

    past_roles = []
    for r in past:
        if not r["title"]:
            continue
        past_roles.append(f"{r['title']} at {r['company']}" if r["company"] else r["title"])
        if len(past_roles) == 2:
            break

    geo = _s(item.get("geoLocationName"))
    country = _s(item.get("geoCountryName"))
    if geo:
        last = geo.rsplit(",", 1)[-1].strip()
        location = geo if not country or last.casefold() == country.casefold() else f"{geo}, {country}"
    else:
        location = _s(item.get("locationName")) or country

    pid, vanity, _ = item_keys(item)
    return Profile(
        name=_name(item),
        headline=_headline(item.get("headline"), item.get("occupation")),
        location=location,
        titles=titles,
        company=company,
        company_size=size,
        industry=industry,
        summary=_s(item.get("summary")) or _s(item.get("about")),
        past_roles=past_roles,
        skills=_skills(item.get("skills")),
        profile_id=pid,
        vanity=vanity,
        source=source,
    )


# ---------------------------------------------------------------------------------------------
# harvestapi/linkedin-profile-scraper and dev_fusion/Linkedin-Profile-Scraper (FORMATS.md §B.5)
# ---------------------------------------------------------------------------------------------


def _from_harvest(item: dict[str, Any], source: str) -> Profile:
    exps = [e for e in item.get("experience") or [] if isinstance(e, dict)]

    def current(e: dict[str, Any]) -> bool:
        end = e.get("endDate")
        if not end:
            return True
        text = end.get("text") if isinstance(end, dict) else end
        return str(text or "").strip().lower() == "present"

    cur = [e for e in exps if current(e)]
    past = [e for e in exps if not current(e)]
    titles = []
    for e in cur:
        t = _s(e.get("position"))
        if t and t not in titles:
            titles.append(t)
    company = _s(cur[0].get("companyName")) if cur else None
    if company is None:
        cps = [c for c in item.get("currentPosition") or [] if isinstance(c, dict)]
        if cps:
            company = _s(cps[0].get("companyName"))
            if not titles and _s(cps[0].get("position")):
                titles.append(_s(cps[0].get("position")))
    past_roles = []
    for e in past[:2]:
        t, c = _s(e.get("position")), _s(e.get("companyName"))
        if t:
            past_roles.append(f"{t} at {c}" if c else t)
    loc = item.get("location")
    location = _s(loc.get("linkedinText")) if isinstance(loc, dict) else _s(loc)
    if location is None and isinstance(loc, dict) and isinstance(loc.get("parsed"), dict):
        location = _s(loc["parsed"].get("text"))
    pid, vanity, _ = item_keys(item)
    return Profile(
        name=_name(item), headline=_headline(item.get("headline")), location=location,
        titles=titles, company=company, company_size=None, industry=None,
        summary=_s(item.get("about")) or _s(item.get("summary")), past_roles=past_roles,
        skills=_skills(item.get("skills")), profile_id=pid, vanity=vanity, source=source,
    )


#: A LinkedIn date range as the profile UI writes it: ``"Apr 2022 - Present · 2 yrs 8 mos"``,
#: ``"2019 - 2021"``, ``"Jan 2017 – Sep 2019"``; the end is a year or "Present" (and its common
#: translations). Used by dev_fusion's UI-shaped experiences (``caption``).
_RANGE_RE = re.compile(
    r"(?P<start>(?:[^\W\d_]{3,10}\.?\s+)?\d{4})\s*[-–—]\s*"
    r"(?P<end>present|heute|aujourd[\u2019']hui|presente|actualidad|atual|actual|heden|nu|obecnie|"
    r"oggi|idag|i dag|nå|nyt|(?:[^\W\d_]{3,10}\.?\s+)?\d{4})",
    re.IGNORECASE,
)


def date_range(*texts: Any) -> tuple[str, bool] | None:
    """The first LinkedIn date range in ``texts``: ``(range text, ends in "Present")``, or None.

    ``date_range("Apr 2022 - Present · 2 yrs 8 mos")`` -> ``("Apr 2022 - Present", True)``;
    ``date_range("Oct 2019 - Apr 2022 · 2 yrs 7 mos")`` -> ``("Oct 2019 - Apr 2022", False)``;
    ``date_range("Full-time · 5 yrs 2 mos")`` -> None (a total duration is not a range).
    """
    for t in texts:
        if not isinstance(t, str) or not t:
            continue
        m = _RANGE_RE.search(t)
        if m:
            return m.group(0), not m.group("end")[-1:].isdigit()
    return None


def _company_from_subtitle(subtitle: str | None) -> str | None:
    """``"Brightwell Foods · Full-time"`` -> ``"Brightwell Foods"``; ``"Full-time · 5 yrs"`` -> None."""
    if not subtitle:
        return None
    for part in re.split(r"\s[·•]\s|[·•]", subtitle):
        part = part.strip()
        if part and not is_duration_or_employment_type(part) and date_range(part) is None:
            return part
    return None


def _dev_fusion_rows(exps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """dev_fusion experiences -> ``{title, company, current, size, industry}`` rows, both shapes.

    * Flat shape (2025+): ``title``, ``companyName``, ``jobStillWorking`` / ``jobEndedOn``,
      ``companySize``, ``companyIndustry`` per experience.
    * UI shape (FORMATS.md §H): ``title``, ``subtitle`` (company · employment type), ``caption``
      (the date range), ``metadata`` (location), ``breakdown``; several roles at one company sit in
      ``subComponents`` under a group header whose ``title`` is the company (never a title) and
      whose ``subtitle`` is the total duration. No ``jobStillWorking``: a role is current only when
      its date range ends in "Present". Sub-components without a ``title`` are descriptions.
    """
    rows: list[dict[str, Any]] = []
    for e in exps:
        title = _s(e.get("title"))
        subtitle = _s(e.get("subtitle"))
        subs = [c for c in e.get("subComponents") or [] if isinstance(c, dict) and _s(c.get("title"))]
        rng = date_range(e.get("caption"), e.get("subtitle"), e.get("metadata"))
        header = bool(subs) or e.get("breakdown") is True or (
            "jobStillWorking" not in e and not _s(e.get("companyName")) and rng is None
            and is_duration_or_employment_type(subtitle))
        if header:
            company = title
            for c in subs:
                crng = date_range(c.get("caption"), c.get("subtitle"), c.get("metadata"))
                rows.append({"title": _s(c.get("title")), "company": company,
                             "current": bool(crng and crng[1]), "size": e.get("companySize"),
                             "industry": _s(e.get("companyIndustry"))})
            if not subs and company:  # a header whose roles were not delivered: a company only
                rows.append({"title": None, "company": company, "current": bool(rng and rng[1]),
                             "size": e.get("companySize"), "industry": _s(e.get("companyIndustry"))})
            continue
        if "jobStillWorking" in e:
            current = bool(e.get("jobStillWorking"))
        elif "jobEndedOn" in e:
            current = not e.get("jobEndedOn")
        else:
            current = bool(rng and rng[1])
        if is_duration_or_employment_type(title):
            title = None
        company = _s(e.get("companyName")) or _company_from_subtitle(subtitle)
        rows.append({"title": title, "company": company, "current": current,
                     "size": e.get("companySize"), "industry": _s(e.get("companyIndustry"))})
    return rows


def _from_dev_fusion(item: dict[str, Any], source: str) -> Profile:
    rows = _dev_fusion_rows([e for e in item.get("experiences") or [] if isinstance(e, dict)])
    cur = [r for r in rows if r["current"]]
    past = [r for r in rows if not r["current"]]
    titles: list[str] = []
    for r in cur:
        if r["title"] and r["title"] not in titles:
            titles.append(r["title"])
    top_company = _s(item.get("companyName"))
    if is_duration_or_employment_type(top_company):
        top_company = None
    header_companies = {(r["company"] or "").casefold() for r in rows if r["title"] is None}
    job_title = _s(item.get("jobTitle"))
    if (not titles and job_title and item.get("jobStillWorking", True) is not False
            and not is_duration_or_employment_type(job_title)
            and job_title.casefold() not in header_companies | {(top_company or "").casefold()}):
        titles.append(job_title)
    first = next((r for r in cur if r["title"] and r["company"]), None) or next(
        (r for r in cur if r["company"]), None)
    company = first["company"] if first else top_company
    size = size_band(first["size"]) if first else None
    industry = first["industry"] if first else None
    if company and top_company and _same_company(company, top_company):
        size = size or size_band(item.get("companySize"))
        industry = industry or _s(item.get("companyIndustry"))
    past_roles = []
    for r in past:
        if r["title"]:
            past_roles.append(f"{r['title']} at {r['company']}" if r["company"] else r["title"])
        if len(past_roles) == 2:
            break
    pid, vanity, _ = item_keys(item)
    return Profile(
        name=_s(item.get("fullName")) or _name(item), headline=_headline(item.get("headline")),
        location=_s(item.get("addressWithCountry")) or _s(item.get("addressWithoutCountry"))
        or _s(item.get("addressCountryOnly")),
        titles=titles, company=company, company_size=size, industry=industry,
        summary=_s(item.get("about")), past_roles=past_roles, skills=_skills(item.get("skills")),
        profile_id=pid, vanity=vanity, source=source,
    )


def item_shape(item: dict[str, Any]) -> str:
    """Which actor's shape ``item`` has: ``"supreme_coder"`` (default), ``"harvestapi"`` or ``"dev_fusion"``."""
    if "positions" in item or "geoLocationName" in item or "profileId" in item:
        return "supreme_coder"
    if "experience" in item or "currentPosition" in item:
        return "harvestapi"
    if "experiences" in item or "fullName" in item or "urn" in item:
        return "dev_fusion"
    return "supreme_coder"


def profile_from_apify_item(item: dict[str, Any], source: str = "apify") -> Profile:
    """Build a :class:`Profile` from one scraped item (rules in the module docstring).

    ``item``: a dataset item of ``yZnhB5JewWf9xSmoM`` (or of harvestapi / dev_fusion, detected by
    :func:`item_shape`). ``source`` is stored in ``Profile.source``. Never raises on missing or
    odd-typed keys (every field of the result may be None/empty); raises ``TypeError`` if
    ``item`` is not a dict.
    """
    if not isinstance(item, dict):
        raise TypeError(f"an Apify item must be a JSON object, got {type(item).__name__}")
    shape = item_shape(item)
    if shape == "harvestapi":
        return _from_harvest(item, source)
    if shape == "dev_fusion":
        return _from_dev_fusion(item, source)
    return _from_supreme(item, source)


def item_name_key(item: dict[str, Any]) -> str | None:
    """The name + company key (:func:`icp_engine.domain.name_company_key`) of an Apify item of
    any shape: its person's name and first current company, e.g.
    ``"name:tamsin okafor|veldmark staffing"``; None without a name. A lead of an export without
    profile URLs is keyed by the same value, so the two can be linked (e.g. in SQL, on a stored
    column). Raises ``TypeError`` if ``item`` is not a dict."""
    return profile_from_apify_item(item).name_company_key()
