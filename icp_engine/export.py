"""Export: the ranked CSV of qualified leads.

Columns (CRM-friendly, one row per lead, sorted by ``icp_score`` descending): see
:data:`EXPORT_COLUMNS`. Cells that a spreadsheet would run as a formula (starting with ``=``,
``+``, ``-``, ``@``, tab or carriage return; OWASP "CSV Injection") are prefixed with ``'``.
Numbers are written as numbers, so a negative score could never be quoted (scores are 0-100).

Every follower of an upload is a row, also those enrichment had no data for (:func:`for_display`,
used by the CSV and the dashboard's tables alike):

* ``name``: the person's name, else the profile's vanity name (a URL-only lead), else its id.
* ``industry``: the industry from data, else an offline guess written ``"Banking (guessed)"``.
* ``match_reasoning``: the scorer's reasoning, after the notes that say what the score rests on:
  ``"enrichment: not returned by Apify (run … ended SUCCEEDED)"`` (``leads.enrichment_note``:
  the lead is scored on the upload's data) and, for a lead without a profile URL,
  ``"no profile URL in the export (live Apify cannot enrich)"``; parts are joined by ``" · "``.
* ``status``: ``qualified`` / ``exported``, or ``not enriched`` for a lead enrichment gave up on
  (``leads.status = 'failed'``), scored on the upload's data.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, BinaryIO, Iterable

if TYPE_CHECKING:  # pragma: no cover - pandas is imported where a DataFrame is built (0.4 s to import)
    import pandas as pd

EXPORT_COLUMNS: tuple[str, ...] = (
    "name",
    "first_name",
    "last_name",
    "profile_url",
    "headline",
    "current_titles",
    "company",
    "industry",
    "company_size",
    "company_type",
    "location",
    "icp_score",
    "bucket",
    "match_reasoning",
    "review_label",
    "batch",
    "status",
)

_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: Any) -> Any:
    """Prefix a string that starts with a formula trigger with ``'`` (non-strings unchanged)."""
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES):
        return "'" + value
    return value


def split_name(name: str | None) -> tuple[str, str]:
    """``"Nora Vidal"`` -> ``("Nora", "Vidal")``; a single word is a first name."""
    parts = (name or "").strip().split(None, 1)
    if not parts:
        return "", ""
    return parts[0], parts[1] if len(parts) > 1 else ""


#: Note of a lead without a profile URL (an export without URLs), first in its ``match_reasoning``.
NO_URL_NOTE = "no profile URL in the export (live Apify cannot enrich)"

#: What the CSV and the dashboard say for a lead status (others are shown as they are).
STATUS_WORDS: dict[str, str] = {"failed": "not enriched"}


def display_name(row: dict[str, Any]) -> str:
    """The name to show for a lead row: ``name``, else ``vanity`` (a lead known only by its URL),
    else ``profile_id``, else ``""``."""
    return str(row.get("name") or row.get("vanity") or row.get("profile_id") or "")


def display_industry(row: dict[str, Any]) -> str:
    """``industry`` (enrichment data), else ``industry_class`` (classified from data), else the
    offline guess as ``"<label> (guessed)"``, else ``""``."""
    known = row.get("industry") or row.get("industry_class")
    if known:
        return str(known)
    guess = row.get("industry_guess")
    return f"{guess} (guessed)" if guess else ""


def user_reasoning(row: dict[str, Any]) -> str:
    """``match_reasoning`` with the lead's enrichment note and the no-URL note in front (see the
    module docstring); parts joined by ``" · "``."""
    note = (row.get("enrichment_note") or "").strip()
    parts = [note] if note else []
    no_url = not row.get("profile_url") or str(row.get("profile_key") or "").startswith("name:")
    if no_url and "no profile URL" not in note:
        parts.append(NO_URL_NOTE)
    if row.get("match_reasoning"):
        parts.append(str(row["match_reasoning"]))
    return " · ".join(parts)


def for_display(row: dict[str, Any]) -> dict[str, Any]:
    """A copy of a lead row (``leads`` columns + ``match_reasoning``) with ``name``, ``industry``,
    ``match_reasoning`` and ``status`` as the user reads them (:func:`display_name`,
    :func:`display_industry`, :func:`user_reasoning`, :data:`STATUS_WORDS`)."""
    out = dict(row)
    out["name"] = display_name(row)
    if "industry" in row or "industry_class" in row:
        out["industry"] = display_industry(row)
    if "match_reasoning" in row:
        out["match_reasoning"] = user_reasoning(row)
    if row.get("status"):
        out["status"] = STATUS_WORDS.get(str(row["status"]), row["status"])
    return out


def to_frame(rows: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """Rows from :meth:`icp_engine.engine.Engine.export_rows` -> DataFrame in export column order
    (each row through :func:`for_display`; first/last name only from a real name)."""
    import pandas as pd

    frame = pd.DataFrame.from_records(_records(rows), columns=list(EXPORT_COLUMNS))
    if not frame.empty:
        frame = frame.sort_values("icp_score", ascending=False, kind="stable", na_position="last")
    return frame


def _records(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The export's cells of each row (:data:`EXPORT_COLUMNS`), in the rows' order."""
    records = []
    for raw in rows:
        r = for_display(raw)
        first, last = split_name(raw.get("name"))
        titles = r.get("titles") or []
        records.append(
            {
                "name": r.get("name") or "",
                "first_name": first,
                "last_name": last,
                "profile_url": r.get("profile_url") or "",
                "headline": r.get("headline") or "",
                "current_titles": "; ".join(titles),
                "company": r.get("company") or "",
                "industry": r.get("industry") or "",
                "company_size": r.get("company_size") or "",
                "company_type": r.get("company_type") or "",
                "location": r.get("location") or "",
                "icp_score": round(float(r["icp_score"]), 1) if r.get("icp_score") is not None else None,
                "bucket": r.get("bucket") or "",
                "match_reasoning": r.get("match_reasoning") or "",
                "review_label": r.get("review_label") or "",
                "batch": r.get("batch_name") or "",
                "status": r.get("status") or "",
            }
        )
    return records


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """DataFrame -> UTF-8 CSV bytes (with BOM so Excel reads accents), formula cells neutralised."""
    return _csv_text(frame, header=True).encode("utf-8-sig")


def _csv_text(frame: pd.DataFrame, *, header: bool) -> str:
    import pandas as pd

    safe = frame.copy()
    for col in safe.columns:
        if not pd.api.types.is_numeric_dtype(safe[col]):
            safe[col] = safe[col].map(neutralise_cell)
    return safe.to_csv(index=False, header=header)


def write_csv(chunks: Iterable[Sequence[dict[str, Any]]], out: BinaryIO,
              on_chunk: Callable[[list[int]], None] | None = None) -> list[int]:
    """Write export rows that arrive in chunks, already best first (``icp_engine.db.reports.
    export_row_chunks``), as the ranked CSV to ``out``: the same bytes as
    ``to_csv_bytes(to_frame(all_rows))`` (BOM, header once), one chunk in memory at a time.
    Returns the lead ids written (``id`` of each row), in order; ``on_chunk(ids)`` is called with
    each chunk's ids once the chunk is written."""
    out.write(codecs.BOM_UTF8)
    ids: list[int] = []
    header = True
    for rows in chunks:
        if not rows:
            continue
        out.write(_chunk_csv(rows, header=header).encode("utf-8"))
        header = False
        chunk_ids = [int(r["id"]) for r in rows]
        ids.extend(chunk_ids)
        if on_chunk is not None:
            on_chunk(chunk_ids)
    if header:  # no row: the header alone
        out.write(_chunk_csv([], header=True).encode("utf-8"))
    return ids


def _chunk_csv(rows: Sequence[dict[str, Any]], *, header: bool) -> str:
    """``_csv_text(to_frame(rows), header=header)`` without pandas (its import alone is 0.4 s of a
    CLI run): the standard library's ``csv`` writer with pandas' ``to_csv`` settings (minimal
    quoting, ``"\n"`` line ends, ``""`` for a missing value), scores written as Python writes a
    float (``72.3``, ``100.0``: what pandas writes for a float column), the rows sorted as
    ``to_frame`` sorts them (stable, best first, a missing score last) and every non-score cell
    through :func:`neutralise_cell`. ``tests/test_export_stream.py`` checks the bytes are pandas'."""
    records = _records(rows)
    scored = [r for r in records if r["icp_score"] is not None]
    scored.sort(key=lambda r: -r["icp_score"])
    records = scored + [r for r in records if r["icp_score"] is None]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    if header:
        writer.writerow(EXPORT_COLUMNS)
    for r in records:
        writer.writerow([r[c] if c == "icp_score" else neutralise_cell(r[c]) for c in EXPORT_COLUMNS])
    return buf.getvalue()
