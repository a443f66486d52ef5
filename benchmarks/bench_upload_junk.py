"""How fast junk is refused on upload (issue 13 point 8: "junk refused within 3 s").

Generates, in memory, text that is no LinkedIn export at all: base64 of random bytes (the shape of
a mistaken attachment or a pasted image), as 76-character lines and as one single line, and times
:func:`icp_engine.ingest.upload.parse_upload` until it raises ``UploadError`` ("No LinkedIn
profile URLs were found"). This is the whole server-side cost of the Upload page's preview of such a
file (the page only adds a SHA-256 of the bytes, also timed). Before the cheap "/in/" / "linkedin"
pre-check in :mod:`icp_engine.ingest.url_list`, 60 MB took 25 s here (41 s on the machine of the
issue); the target is under 3 s.

Usage::

    python benchmarks/bench_upload_junk.py                 # 60 MB, both shapes
    python benchmarks/bench_upload_junk.py --mb 200 --repeat 3
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from icp_engine.ingest.upload import UploadError, parse_upload


def junk(mb: float, *, lines: bool, seed: int = 13) -> bytes:
    """About ``mb`` MB of base64 text of random bytes (76-character lines, or one line)."""
    raw = random_bytes(int(mb * 1024 * 1024 * 3 / 4), seed)
    return base64.encodebytes(raw) if lines else base64.b64encode(raw)


def random_bytes(n: int, seed: int) -> bytes:
    import random

    return random.Random(seed).randbytes(n)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mb", type=float, default=60.0)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    print(f"cpu count {os.cpu_count()}; junk of {args.mb:.0f} MB")
    for shape, lines in (("76-char lines", True), ("one line", False)):
        data = junk(args.mb, lines=lines)
        best = float("inf")
        message = ""
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            hashlib.sha256(data).hexdigest()
            try:
                parsed = parse_upload("junk.txt", data)
                message = f"ACCEPTED with {len(parsed.people)} people (should be refused)"
            except UploadError as exc:
                message = str(exc)[:70]
            best = min(best, time.perf_counter() - t0)
        verdict = "ok" if best < 3.0 else "TOO SLOW"
        print(f"{shape:14s} {len(data) / 1e6:6.1f} MB  refused in {best:5.2f} s  [{verdict}]  {message}")


if __name__ == "__main__":
    main()
