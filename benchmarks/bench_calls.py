"""ICP extraction from discovery calls: micro precision/recall against hand labels.

    python benchmarks/bench_calls.py                 # the development set
    python benchmarks/bench_calls.py --set heldout   # first held-out set (written after tuning; then used for fixes)
    python benchmarks/bench_calls.py --set heldout2  # second held-out set (written after those fixes)
    python benchmarks/bench_calls.py --set heldout3  # third set, written blind in new industries
    python benchmarks/bench_calls.py --set all -v    # all four, with every miss and false alarm

Reads ``tests/fixtures/calls/<set>/index.json`` (calls per client) and ``gold_<set>.json``; runs
:func:`icp_engine.calls.propose` per client (offline extractor unless ``--extractor openai``) and
prints micro precision / recall / F1 on titles, industries and sizes (together and per field), the
number of proposed items the client had retracted, the share of proposed items whose every quote
occurs verbatim in the transcripts, and, for information, the content audience and exclusions.

Titles are compared by a normaliser of this script (case, plural, "Director of X" = "X Director",
"VP of X" = "VP X", spelled-out C-level = abbreviation), independent of the extractor's own keys;
industries by exact V2 label (a lenient figure also counts parent/child/sibling labels); sizes by band.
Targets (issue 11): precision >= 0.8, recall >= 0.7, 0 retracted proposed, >= 95 % quoted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from icp_engine.calls import get_extractor, parse_transcript, propose, quote_in_call  # noqa: E402
from icp_engine.taxonomy import industry_relation  # noqa: E402

FIX = ROOT / "tests" / "fixtures" / "calls"
TODAY = dt.date(2026, 6, 1)  # anchors the year of copied-text dates ("October 23"): the fixtures are from late 2025
MEASURED = ("target_titles", "target_industries", "company_sizes")

_CLEVEL = {"chief executive officer": "ceo", "chief financial officer": "cfo", "chief operating officer": "coo",
           "chief technology officer": "cto", "chief information officer": "cio", "chief marketing officer": "cmo",
           "chief revenue officer": "cro", "chief product officer": "cpo",
           "chief information security officer": "ciso", "chief human resources officer": "chro",
           "chief people officer": "cpo", "chief nursing officer": "cno", "chief legal officer": "clo",
           "chief data officer": "cdo", "chief commercial officer": "cco", "managing director": "md",
           "finance director": "fd", "general counsel": "gc", "general manager": "gm", "co founder": "founder",
           "cofounder": "founder", "financial controller": "controller", "vice president": "vp"}


def eval_title(t: str) -> str:
    """Evaluation key of a title (see module docstring)."""
    s = t.lower().replace("&", " and ").replace("-", " ")
    s = re.sub(r"[^a-z0-9 ]+", " ", s)
    words = [w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "ops", "ics")) else w
             for w in s.split()]
    s = " ".join(words)
    for full, ab in sorted(_CLEVEL.items(), key=lambda kv: -len(kv[0])):
        s = re.sub(rf"\b{full}\b", ab, s)
    s = re.sub(r"\bops\b", "operations", s)
    s = re.sub(r"\brevops\b", "revenue operations", s)
    m = re.match(r"^(director|manager|vp|lead) of (?:the )?(.+)$", s)
    if m:
        s = f"{m.group(2)} {m.group(1)}"
    m = re.match(r"^vp (.+)$", s)
    if m:
        s = f"{m.group(1)} vp"
    m = re.match(r"^(.+) head$", s)
    if m:
        s = f"head of {m.group(1)}"
    return " ".join(s.split())


def _key(field: str, v: str) -> str:
    return eval_title(v) if field == "target_titles" else v.strip().lower()


def _match(field: str, a: str, b: str, lenient: bool) -> bool:
    if _key(field, a) == _key(field, b):
        return True
    if lenient and field == "target_industries":
        return industry_relation(a, b) in ("same", "descendant", "ancestor", "sibling")
    return False


def _count(field: str, proposed: list[str], gold: list[str], lenient: bool = False) -> tuple[int, int, int, list, list]:
    tp_p = [p for p in proposed if any(_match(field, p, g, lenient) for g in gold)]
    fp = [p for p in proposed if p not in tp_p]
    fn = [g for g in gold if not any(_match(field, p, g, lenient) for p in proposed)]
    return len(tp_p), len(fp), len(fn), fp, fn


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def run_set(name: str, extractor_name: str, verbose: bool) -> dict:
    folder = FIX / name
    index = json.loads((folder / "index.json").read_text(encoding="utf-8"))
    gold = json.loads((FIX / f"gold_{name}.json").read_text(encoding="utf-8"))["clients"]
    extractor = get_extractor(extractor_name)
    totals = {f: [0, 0, 0] for f in MEASURED}
    lenient = [0, 0, 0]
    aud = [0, 0, 0]
    excl_hit = excl_total = 0
    retracted_proposed: list[str] = []
    items_total = items_quoted = 0
    n_calls = 0
    t0 = time.perf_counter()
    for client, g in gold.items():
        files = [c["file"] for c in index["calls"] if c["client"] == client]
        calls = [parse_transcript(f, (folder / f).read_bytes(), today=TODAY) for f in files]
        n_calls += len(calls)
        prop = propose(calls, extractor, client_name=client, client_domains=g.get("domains", []))
        by_id = {c.id: c for c in calls}
        lines = []
        for f in MEASURED:
            got = prop.values(f)
            tp, fp, fn, fps, fns = _count(f, got, g.get(f, []))
            for i, x in enumerate((tp, fp, fn)):
                totals[f][i] += x
            if f == "target_industries":
                ltp, lfp, lfn, _, _ = _count(f, got, g.get(f, []), lenient=True)
                lenient = [lenient[0] + ltp, lenient[1] + lfp, lenient[2] + lfn]
            else:
                lenient = [lenient[0] + tp, lenient[1] + fp, lenient[2] + fn]
            if fps or fns:
                lines.append(f"    {f}: false alarms {fps} misses {fns}")
            for it in prop.proposed(f):
                items_total += 1
                ok = all(quote_in_call(ev.quote, by_id[ev.call_id]) for ev in it.support if ev.call_id in by_id)
                items_quoted += ok
        for r in g.get("retracted", []):
            for v in prop.values(r["field"]):
                same = _match(r["field"], v, r["value"], lenient=False)
                near = (r["field"] == "target_industries" and _match(r["field"], v, r["value"], lenient=True)
                        and not any(_match(r["field"], v, t, lenient=False) for t in g.get(r["field"], [])))
                if same or near:  # near: a neighbouring label the client did not also ask for
                    retracted_proposed.append(f"{client}: {r['field']} {v}")
        ga = g.get("audience", {}).get("target_titles", [])
        pa = prop.values("target_titles", audience=True)
        a_tp, a_fp, a_fn, a_fps, a_fns = _count("target_titles", pa, ga)
        aud = [aud[0] + a_tp, aud[1] + a_fp, aud[2] + a_fn]
        if a_fps or a_fns:
            lines.append(f"    audience titles: false alarms {a_fps} misses {a_fns}")
        pex = [v.lower() for v in prop.values("exclusions")]
        for e in g.get("exclusions", []):
            excl_total += 1
            excl_hit += any(e.lower() in v or v in e.lower() for v in pex)
        if verbose:
            print(f"  {client} ({len(calls)} calls)")
            for ln in lines:
                print(ln)
            print(f"    exclusions proposed: {prop.values('exclusions')}")
    elapsed = time.perf_counter() - t0
    all_tp = sum(v[0] for v in totals.values())
    all_fp = sum(v[1] for v in totals.values())
    all_fn = sum(v[2] for v in totals.values())
    p, r, f1 = _prf(all_tp, all_fp, all_fn)
    lp, lr, _ = _prf(*lenient)
    ap, ar, _ = _prf(*aud)
    print(f"set {name}: {len(gold)} clients, {n_calls} calls, extractor {extractor_name}, {elapsed:.2f} s")
    print(f"  titles+industries+sizes  precision {p:.3f}  recall {r:.3f}  F1 {f1:.3f}  "
          f"(tp {all_tp}, fp {all_fp}, fn {all_fn})")
    for fld, (tp, fp, fn) in totals.items():
        fp_, fr_, ff_ = _prf(tp, fp, fn)
        print(f"    {fld:<18} precision {fp_:.3f}  recall {fr_:.3f}  F1 {ff_:.3f}  (tp {tp}, fp {fp}, fn {fn})")
    print(f"  lenient industries (parent/child/sibling count): precision {lp:.3f}  recall {lr:.3f}")
    print(f"  retracted items proposed: {len(retracted_proposed)} {retracted_proposed if retracted_proposed else ''}")
    print(f"  items whose quotes occur in the transcripts: {items_quoted}/{items_total} "
          f"({100 * items_quoted / max(1, items_total):.1f} %)")
    print(f"  content audience titles: precision {ap:.3f}  recall {ar:.3f}   "
          f"exclusions recall (substring): {excl_hit}/{excl_total}")
    return {"precision": p, "recall": r, "f1": f1, "retracted_proposed": len(retracted_proposed),
            "quoted": items_quoted / max(1, items_total)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--set", default="dev", choices=["dev", "heldout", "heldout2", "heldout3", "all"])
    ap.add_argument("--extractor", default="offline", choices=["offline", "openai"])
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    sets = ["dev", "heldout", "heldout2", "heldout3"] if args.set == "all" else [args.set]
    for s in sets:
        if not (FIX / s / "index.json").is_file():
            print(f"set {s}: not present (run tests/fixtures/calls/make_calls.py)")
            continue
        run_set(s, args.extractor, args.verbose)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
