"""How often is an offline industry guess from a company name right? (issue 8 item 5)

The classifier may guess an industry offline only where the guess was measured to be right at
least 95 % of the time (:data:`icp_engine.classify.GUESS_MIN_PRECISION`) on at least 30 labelled
names (``GUESS_MIN_SUPPORT``). This script is that measurement.

Labelled set: the constituents of 20 stock indices shipped in the ``pytickersymbols`` package
(PyPI, MIT; compiled from Wikipedia). Only each company's **name** and **industry labels** are
read (the package's other metadata, e.g. key people, is never touched): 1,837 companies, 1,789
of them with an industry label this script can map to a sector. Public data, no personal data.

Ground truth is coarse on purpose: each company's industry labels (a mix of GICS sectors,
Refinitiv TRBC names and free text) are mapped onto nine sectors (finance, real estate, tech,
health, energy, materials, industrial, consumer, services), and a guessed LinkedIn V2 label
(with its ancestors) onto the same sectors. A guess counts as right when it shares a sector with
the company. This is lenient (a "Media" guess for a software company counts as right), so the
precision printed is an **upper bound** of the precision at the level of V2 labels.

Measured (2026-12, this labelled set):

* nearest V2 label to the company name's embedding (WordLlama; the old offline path), tried on
  every name: right 64.5 % of the time (304 of 471) - removed;
* candidate keyword rules over company names: see the table; Banking (49 of 49) and Real Estate
  (38 of 38) reach the bar and are kept in :data:`icp_engine.classify.NAME_GUESS_RULES`.

Usage::

    pip install pytickersymbols            # listed in requirements-dev.txt
    python benchmarks/bench_industry_guess.py
"""

from __future__ import annotations

import math
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

#: Coarse sectors and the words that put an industry label (theirs or a V2 label) into them.
SECTORS: tuple[tuple[str, str], ...] = (
    ("finance", r"financ|bank|insur|invest|asset|capital market|credit|lending|mortgage|payment|"
                r"fund|brokerage|exchange|wealth|fintech|venture capital|private equity"),
    ("real_estate", r"real estate|reit|retis|propert|homebuild|leasing"),
    ("tech", r"software|information technology|\bit\b|internet|technology|telecom|media|publishing|"
             r"broadcast|semiconductor|computer|electronic|data|digital|communication|e-commerce|online|"
             r"network|game"),
    ("health", r"health|pharma|biotech|medical|hospital|drug|life science|diagnos"),
    ("energy", r"energy|oil|gas|petroleum|fossil|utilit|power|renewable|coal|nuclear|solar|wind"),
    ("materials", r"chemical|material|steel|metal|mining|mineral|paper|forest|packag|plastic|glass|"
                  r"cement|concrete|gold|alumin|fertili"),
    ("industrial", r"industrial|machiner|engineer|construct|aerospace|defen[cs]e|transport|logistic|"
                   r"airline|aviation|shipping|rail|truck|conglomerate|electrical|equipment|building|"
                   r"infrastructure|manufactur|automation|business services|commercial services|professional"),
    ("consumer", r"consumer|retail|food|beverage|restaurant|hotel|hospitality|leisure|apparel|fashion|"
                 r"luxury|automo|\bauto|\bcar|tobacco|brew|wine|spirit|household|personal care|cosmetic|"
                 r"entertainment|travel|touris|textile|furniture|grocer|supermarket|toy|sporting"),
    ("services", r"consult|legal|law|accounting|staffing|recruit|advertis|marketing|education|"
                 r"government|non-profit|professional"),
)
_SECTOR_RES = tuple((name, re.compile(p)) for name, p in SECTORS)


def sectors(labels) -> set[str]:
    """Coarse sectors of a list of industry label strings."""
    out: set[str] = set()
    for label in labels:
        low = str(label).lower()
        for name, rx in _SECTOR_RES:
            if rx.search(low):
                out.add(name)
    return out


def labelled_companies() -> dict[str, set[str]]:
    """``{company name: its sectors}`` from pytickersymbols (names and industries only)."""
    from pytickersymbols.indices_data import INDICES

    raw: dict[str, set[str]] = {}
    for index in INDICES.values():
        for c in index.get("companies") or []:
            raw.setdefault(c["name"], set()).update(c.get("industries") or [])
    return {n: s for n, s in ((n, sectors(i)) for n, i in raw.items()) if s}


def guess_sectors(label: str) -> set[str]:
    from icp_engine.taxonomy import industry_ancestors

    return sectors([label, *industry_ancestors(label)])


def wilson_lower(right: int, n: int, z: float = 1.96) -> float:
    """Lower bound of the 95 % Wilson score interval of ``right / n``."""
    if n == 0:
        return 0.0
    p = right / n
    d = 1 + z * z / n
    return (p + z * z / (2 * n) - z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))) / d


def measure(embedding: bool = True) -> dict:
    """Measure every candidate name rule, the kept rules and (optionally) the embedding guess.

    Returns ``{"labelled": n, "rules": {label: (n, right)}, "kept": (n, right),
    "embedding": (n, right) | None}``.
    """
    from icp_engine.classify import CANDIDATE_NAME_RULES, NAME_GUESS_RULES, industry_guess_from_name

    data = labelled_companies()
    names = sorted(data)
    rules: dict[str, list[int]] = {}
    for pattern, label in CANDIDATE_NAME_RULES:
        rx = [(re.compile(pattern), label)]
        stat = rules.setdefault(label, [0, 0])
        for n in names:
            hit = industry_guess_from_name(n, rx)
            if hit:
                stat[0] += 1
                stat[1] += bool(guess_sectors(hit[0]) & data[n])
    kept = [0, 0]
    for n in names:
        hit = industry_guess_from_name(n)
        if hit:
            kept[0] += 1
            kept[1] += bool(guess_sectors(hit[0]) & data[n])
    assert {lbl for _, lbl in NAME_GUESS_RULES} <= set(rules)
    emb = None
    if embedding:
        from icp_engine.classify import OfflineClassifier

        emb = [0, 0]
        for n, (label, _cos) in zip(names, OfflineClassifier().nearest_labels(names)):
            if label:
                emb[0] += 1
                emb[1] += bool(guess_sectors(label) & data[n])
    return {"labelled": len(names), "rules": {k: tuple(v) for k, v in rules.items()},
            "kept": tuple(kept), "embedding": tuple(emb) if emb else None}


def main() -> int:
    from icp_engine.classify import GUESS_MIN_PRECISION, GUESS_MIN_SUPPORT, NAME_GUESS_RULES

    try:
        res = measure()
    except ImportError:
        print("pytickersymbols is not installed: pip install pytickersymbols", file=sys.stderr)
        return 2
    kept_labels = {lbl for _, lbl in NAME_GUESS_RULES}
    print(f"labelled companies: {res['labelled']} (pytickersymbols; sector-level check, an upper bound)")
    print(f"{'guess':52s} {'n':>5} {'right':>6} {'precision':>9} {'wilson95':>8}  verdict")
    rows = sorted(res["rules"].items(), key=lambda kv: -kv[1][0])
    if res["embedding"]:
        rows.insert(0, ("(embedding: nearest V2 label to the name)", res["embedding"]))
    for label, (n, right) in rows:
        prec = right / n if n else 0.0
        ok = n >= GUESS_MIN_SUPPORT and prec >= GUESS_MIN_PRECISION
        verdict = "kept" if label in kept_labels else ("passes (not kept)" if ok else "removed")
        shown = f"{prec:>9.1%}" if n else f"{'-':>9}"
        print(f"{label[:52]:52s} {n:>5} {right:>6} {shown} {wilson_lower(right, n):>8.1%}  {verdict}")
    n, right = res["kept"]
    print(f"kept rules together: {right}/{n} = {right / n:.1%}" if n else "kept rules: no hit")
    bad = [lbl for lbl in kept_labels
           if not (res["rules"][lbl][0] >= GUESS_MIN_SUPPORT
                   and res["rules"][lbl][1] / res["rules"][lbl][0] >= GUESS_MIN_PRECISION)]
    if bad:
        print(f"ERROR: kept rules below the bar: {bad}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
