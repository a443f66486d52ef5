"""Occupation-group ICPs for the "held-out-like" benchmark track (``groups``).

An independent evaluation phrases ICP titles as occupation *groups* of a national index
("Financial managers and directors") and ranks real job titles. This module rebuilds that shape
from two public classifications, written here by hand (codes and group titles only, no data
files): the US Standard Occupational Classification 2018 (US Bureau of Labor Statistics; minor
and broad groups) and ISCO-08 (International Labour Organization; minor and unit groups).

* SOC queries rank the ``onet`` pool: a candidate is rel 2 when one of its O*NET-SOC codes
  (``pool_gold.jsonl``) falls inside the group, rel 1 when it falls in the group's parent (the
  minor group of a broad group, the major group of a minor group), else 0.
* ISCO queries rank the ``esco_jobbert`` pool: rel 2 when one of the candidate's ISCO-08 unit
  groups falls inside the group, rel 1 when it shares the 2-digit sub-major group, else 0.

Gold codes are read only to build relevance, never shown to the matcher. No UK SOC data is used.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

#: (code, group title): SOC 2018 minor groups "XX-X000" and broad groups "XX-XXX0".
SOC_GROUPS: list[tuple[str, str]] = [
    ("11-1000", "Top Executives"),
    ("11-2000", "Advertising, Marketing, Promotions, Public Relations, and Sales Managers"),
    ("11-3000", "Operations Specialties Managers"),
    ("13-1000", "Business Operations Specialists"),
    ("13-2000", "Financial Specialists"),
    ("15-1200", "Computer Occupations"),
    ("17-2000", "Engineers"),
    ("23-1000", "Lawyers, Judges, and Related Workers"),
    ("27-1000", "Art and Design Workers"),
    ("27-3000", "Media and Communication Workers"),
    ("41-4000", "Sales Representatives, Wholesale and Manufacturing"),
    ("43-3000", "Financial Clerks"),
    ("43-4000", "Information and Record Clerks"),
    ("11-1020", "General and Operations Managers"),
    ("11-2020", "Marketing and Sales Managers"),
    ("11-3010", "Administrative Services and Facilities Managers"),
    ("11-3020", "Computer and Information Systems Managers"),
    ("11-3030", "Financial Managers"),
    ("11-3050", "Industrial Production Managers"),
    ("11-3070", "Transportation, Storage, and Distribution Managers"),
    ("11-3120", "Human Resources Managers"),
    ("11-9040", "Architectural and Engineering Managers"),
    ("11-9110", "Medical and Health Services Managers"),
    ("13-1020", "Buyers and Purchasing Agents"),
    ("13-1070", "Human Resources Workers"),
    ("13-1080", "Logisticians and Project Management Specialists"),
    ("13-1110", "Management Analysts"),
    ("13-1160", "Market Research Analysts and Marketing Specialists"),
    ("13-2010", "Accountants and Auditors"),
    ("13-2050", "Financial Analysts and Advisors"),
    ("15-1210", "Computer and Information Analysts"),
    ("15-1230", "Computer Support Specialists"),
    ("15-1240", "Database and Network Administrators and Architects"),
    ("15-1250", "Software and Web Developers, Programmers, and Testers"),
    ("15-2050", "Data Scientists"),
    ("17-2140", "Mechanical Engineers"),
    ("17-2070", "Electrical and Electronics Engineers"),
    ("23-1010", "Lawyers and Judicial Law Clerks"),
    ("27-1020", "Designers"),
    ("27-3030", "Public Relations Specialists"),
    ("27-3040", "Writers and Editors"),
    ("29-1140", "Registered Nurses"),
    ("41-3030", "Securities, Commodities, and Financial Services Sales Agents"),
    ("43-4050", "Customer Service Representatives"),
]

#: (code, group title): ISCO-08 minor groups (3 digits) and unit groups (4 digits).
ISCO_GROUPS: list[tuple[str, str]] = [
    ("121", "Business services and administration managers"),
    ("122", "Sales, marketing and development managers"),
    ("241", "Finance professionals"),
    ("242", "Administration professionals"),
    ("243", "Sales, marketing and public relations professionals"),
    ("251", "Software and applications developers and analysts"),
    ("252", "Database and network professionals"),
    ("1120", "Managing directors and chief executives"),
    ("1211", "Finance managers"),
    ("1221", "Sales and marketing managers"),
    ("1222", "Advertising and public relations managers"),
    ("1321", "Manufacturing managers"),
    ("1330", "Information and communications technology service managers"),
    ("1420", "Retail and wholesale trade managers"),
    ("2141", "Industrial and production engineers"),
    ("2166", "Graphic and multimedia designers"),
    ("2411", "Accountants"),
    ("2421", "Management and organization analysts"),
    ("2423", "Personnel and careers professionals"),
    ("2431", "Advertising and marketing professionals"),
    ("2433", "Technical and medical sales professionals (excluding ICT)"),
    ("2511", "Systems analysts"),
    ("2512", "Software developers"),
    ("2513", "Web and multimedia developers"),
    ("2521", "Database designers and administrators"),
    ("3313", "Accounting associate professionals"),
    ("3323", "Buyers"),
    ("3343", "Administrative and executive secretaries"),
    ("4225", "Enquiry clerks"),
    ("5223", "Shop sales assistants"),
]


def _soc_in(code: str, group: str) -> bool:
    """True when O*NET-SOC ``code`` ("11-3031.01") lies in SOC ``group`` ("11-3030"/"11-3000")."""
    c = code[:7]
    if group.endswith("000"):
        return c[:4] == group[:4]
    return c[:6] == group[:6]


def _soc_parent(group: str) -> str:
    if group.endswith("000"):
        return group[:2] + "-0000"
    return group[:4] + "000"


def _soc_in_parent(code: str, group: str) -> bool:
    p = _soc_parent(group)
    if p.endswith("-0000"):
        return code[:2] == p[:2]
    return _soc_in(code, p)


def build_track(bench_dir: str | Path) -> dict[str, Any]:
    """The ``groups`` track: ``{"queries": [...], "qrels": {qid: {pid: rel}}}``.

    Queries look like the benchmark's (``qid``, ``track``="groups", ``name``, ``titles`` = [the
    group title], ``pool_track`` = the pool they rank). Reads ``pool_gold.jsonl`` for relevance.
    """
    d = Path(bench_dir)
    gold = [json.loads(x) for x in (d / "pool_gold.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    queries: list[dict[str, Any]] = []
    qrels: dict[str, dict[str, int]] = defaultdict(dict)
    for k, (code, title) in enumerate(SOC_GROUPS, 1):
        qid = f"soc-q{k:02d}"
        queries.append({"qid": qid, "track": "groups", "pool_track": "onet", "name": f"SOC {code}",
                        "titles": [title], "industries": [], "company_sizes": [], "keywords": []})
        for g in gold:
            if g["track"] != "onet":
                continue
            codes = g.get("onet_codes") or []
            if any(_soc_in(c, code) for c in codes):
                qrels[qid][g["pid"]] = 2
            elif any(_soc_in_parent(c, code) for c in codes):
                qrels[qid][g["pid"]] = 1
    for k, (code, title) in enumerate(ISCO_GROUPS, 1):
        qid = f"isco-q{k:02d}"
        queries.append({"qid": qid, "track": "groups", "pool_track": "esco_jobbert", "name": f"ISCO {code}",
                        "titles": [title], "industries": [], "company_sizes": [], "keywords": []})
        for g in gold:
            if g["track"] != "esco_jobbert":
                continue
            units = g.get("isco_groups") or []
            if any(u.startswith(code) for u in units):
                qrels[qid][g["pid"]] = 2
            elif any(u[:2] == code[:2] for u in units):
                qrels[qid][g["pid"]] = 1
    return {"queries": queries, "qrels": dict(qrels)}
