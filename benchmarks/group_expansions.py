"""Print what the ICP side makes of the occupation-group track's titles (and the other tracks').

Usage::

    python benchmarks/group_expansions.py [--bench DIR] [--all]

For each ``groups`` query (:mod:`occupation_groups`: US SOC 2018 / ISCO-08 group titles) prints
the jobs :func:`icp_engine.scoring.targets.expand_target` reads in the phrase and the seniority
tiers it implies (:func:`icp_side.implied_tiers`, 0-7). ``--all`` also prints the onet and
esco_jobbert queries whose titles expand (most are single job titles and stay as written). To
compare with another checkout, run the same file from it (``python ../main/benchmarks/...``).
Needs no model; exits 0 when the benchmark folder is absent (``--all`` only).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bench", default=str(ROOT.parent / "shared" / "bench"))
    ap.add_argument("--all", action="store_true")
    args = ap.parse_args(argv)
    from occupation_groups import ISCO_GROUPS, SOC_GROUPS

    from icp_engine.scoring.targets import expand_target

    try:
        from icp_engine.scoring.icp_side import implied_tiers
    except ImportError:  # a checkout from before the ICP-side module: expansions only
        implied_tiers = None

    def show(name: str, title: str) -> None:
        ex = expand_target(title)
        tiers = sorted(implied_tiers(title)) if implied_tiers else "-"
        print(f"{name:10s} {title}\n{'':10s}   -> {' | '.join(ex[1:]) or '(as written)'}   tiers {tiers}")

    for code, title in SOC_GROUPS:
        show(f"SOC {code}", title)
    for code, title in ISCO_GROUPS:
        show(f"ISCO {code}", title)
    if args.all:
        q = Path(args.bench) / "queries.jsonl"
        if not q.is_file():
            print(f"benchmark folder {args.bench} not found: skipping the other tracks")
            return 0
        for line in q.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            d = json.loads(line)
            for t in d.get("titles", []):
                if len(expand_target(t)) > 1:
                    show(d["qid"], t)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
