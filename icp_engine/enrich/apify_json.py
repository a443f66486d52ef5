"""``apify-json`` provider: items of an Apify dataset the user exported.

Accepted files: a JSON array of items (Apify console "Export -> JSON", or
``GET /v2/datasets/{id}/items?format=json``), JSON Lines (``format=jsonl``), or an object with an
``items`` / ``data`` array (the API list envelope). UTF-8 with or without BOM.

Decision - leads with no matching item: the export is whatever the user scraped, often a
subset of the upload, so a missing item is *not* a failure. Such a lead keeps the page's
profile (:func:`~icp_engine.enrich.page.profile_from_page`, ``source = "page"``) with
``EnrichOutcome.fallback`` and a ``note`` (``"not in the Apify export"``), stored as the lead's
``enrichment_note`` and shown in the CSV; it is neither failed nor retryable. Error items in the
export (``succeeded: false`` / only ``inputUrl``) are treated the same way, with the item's error
in the note.

With a database, every matched item is written to the shared profile cache under the lead's key
(``source = "apify-json"``) before its outcome is yielded, so a later live Apify run of any client
gets it for free.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ..db import profile_cache as profile_cache_sql
from ..domain import is_name_key
from ..enums import EnrichProvider
from ..errors import InvalidInput
from . import EnrichOutcome, EnrichRequest
from .extract import is_empty_item, profile_from_apify_item
from .matching import match_items
from .page import profile_from_page

#: Note of an export lead without a profile URL: no exported item can name it.
NO_URL_NOTE = "no profile URL in the export: cannot be matched to an Apify item"


class ApifyExportError(InvalidInput):
    """The file is not an exported Apify dataset (message says why)."""


def load_items(source: str | Path | bytes) -> list[dict[str, Any]]:
    """Read dataset items from a path or raw bytes: JSON array, ``{"items": [...]}`` or JSONL.

    Returns the dict items (non-objects are dropped). Raises :class:`ApifyExportError` when the
    content is neither JSON nor JSON Lines, or holds no object.
    """
    if isinstance(source, (bytes, bytearray)):
        raw = bytes(source)
        label = "the uploaded file"
    else:
        path = Path(source)
        label = str(path)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise ApifyExportError(f"cannot read {label}: {exc}") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ApifyExportError(f"{label} is not UTF-8 JSON: {exc}") from exc
    text = text.strip()
    if not text:
        raise ApifyExportError(f"{label} is empty")
    data: Any
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        data = []
        for n, line in enumerate(text.splitlines(), 1):
            line = line.strip()
            if not line:
                continue
            try:
                data.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ApifyExportError(
                    f"{label} is neither a JSON array nor JSON Lines (line {n}: {exc.msg})"
                ) from exc
    if isinstance(data, dict):
        for key in ("items", "data"):
            if isinstance(data.get(key), list):
                data = data[key]
                break
            if isinstance(data.get(key), dict) and isinstance(data[key].get("items"), list):
                data = data[key]["items"]
                break
        else:
            data = [data]
    if not isinstance(data, list):
        raise ApifyExportError(f"{label} does not hold a list of dataset items")
    items = [d for d in data if isinstance(d, dict)]
    if not items:
        raise ApifyExportError(f"{label} holds no dataset items")
    return items


class ApifyJsonProvider:
    """Enrichment from an exported Apify dataset (``name = "apify-json"``).

    ``ApifyJsonProvider(path_or_items, db=None)``: a file path / bytes (read with :func:`load_items`)
    or an already-loaded list of items; ``db`` (a :class:`~icp_engine.db.Database`) to store matched
    items in the profile cache. ``enrich(requests)`` yields one outcome per request: matched ->
    profile from the item (``source = "apify-json"``, ``item`` set); unmatched -> the page profile
    with a ``note`` (see the module docstring). Never raises per lead.
    """

    name: str = EnrichProvider.APIFY_JSON.value

    def __init__(self, source: str | Path | bytes | list[dict[str, Any]], db: Any = None):
        self.items: list[dict[str, Any]] = (
            [i for i in source if isinstance(i, dict)] if isinstance(source, list) else load_items(source)
        )
        self.db = db

    def enrich(self, requests: Sequence[EnrichRequest]) -> Iterator[EnrichOutcome]:
        """One outcome per request (see the class docstring); matched items are cached first."""
        by_lead = {r.lead_id: r for r in requests}
        outcomes = list(self._outcomes(list(requests)))
        if self.db is not None:
            rows = [
                {"profile_key": by_lead[o.lead_id].key,
                 "profile_id": o.profile.profile_id or by_lead[o.lead_id].profile_id,
                 "vanity": o.profile.vanity or by_lead[o.lead_id].vanity or None,
                 "source": self.name, "item": o.item}
                for o in outcomes if o.item is not None and o.profile is not None
            ]
            if rows:
                with self.db.begin() as conn:
                    profile_cache_sql.upsert(conn, rows)
        yield from outcomes

    def _outcomes(self, requests: list[EnrichRequest]) -> Iterator[EnrichOutcome]:
        result = match_items(requests, self.items)
        for req, item, how in result.pairs:
            if is_empty_item(item):
                reason = item.get("error") or item.get("errorMessage") or "no profile data"
                yield EnrichOutcome(
                    lead_id=req.lead_id, profile=profile_from_page(req), fallback=True,
                    note=f"the Apify export's item for this profile is empty ({reason})",
                )
                continue
            prof = profile_from_apify_item(item, source=self.name)
            page = req.page
            if page is not None:  # keep page facts the item lacks
                prof.name = prof.name or page.name
                prof.headline = prof.headline or page.headline
                prof.location = prof.location or page.location
            yield EnrichOutcome(lead_id=req.lead_id, profile=prof, item=item, note=f"matched by {how}")
        for req in result.missing:
            note = NO_URL_NOTE if (not req.url or is_name_key(req.key)) else "not in the Apify export"
            yield EnrichOutcome(lead_id=req.lead_id, profile=profile_from_page(req), fallback=True, note=note)
