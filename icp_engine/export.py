"""Export: the ranked CSV of qualified leads.

Columns (CRM-friendly, one row per lead, sorted by ``icp_score`` descending): see
:data:`EXPORT_COLUMNS`. Cells that a spreadsheet would run as a formula (starting with ``=``,
``+``, ``-``, ``@``, tab or carriage return; OWASP "CSV Injection") are prefixed with ``'``.
Numbers are written as numbers, so a negative score could never be quoted (scores are 0-100).
"""

from __future__ import annotations

from typing import Any, Iterable

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


def to_frame(rows: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """Rows from :meth:`icp_engine.engine.Engine.export_rows` -> DataFrame in export column order."""
    records = []
    for r in rows:
        first, last = split_name(r.get("name"))
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
                "industry": r.get("industry") or r.get("industry_class") or "",
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
    frame = pd.DataFrame.from_records(records, columns=list(EXPORT_COLUMNS))
    if not frame.empty:
        frame = frame.sort_values("icp_score", ascending=False, kind="stable", na_position="last")
    return frame


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """DataFrame -> UTF-8 CSV bytes (with BOM so Excel reads accents), formula cells neutralised."""
    safe = frame.copy()
    for col in safe.columns:
        if not pd.api.types.is_numeric_dtype(safe[col]):
            safe[col] = safe[col].map(neutralise_cell)
    return safe.to_csv(index=False).encode("utf-8-sig")
