"""Enrichment providers behind one interface.

* ``page``: what the uploaded page/file itself holds (name, headline, location; offline default).
* ``apify-json``: items of an Apify dataset the user exported (JSON array file).
* ``apify``: live runs of the LinkedIn profile scraper actor (``APIFY_API_TOKEN``).

A provider takes :class:`EnrichRequest` s and yields one :class:`EnrichOutcome` per request
(profile or error). The pipeline writes outcomes to ``leads`` and the raw items to the shared
``profile_cache``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator, Protocol, Sequence, runtime_checkable

from ..domain import Profile


@dataclass
class EnrichRequest:
    """One lead to enrich: its id, canonical key, known aliases, the URL as found, and what the page held."""

    lead_id: int
    key: str
    url: str
    profile_id: str | None = None
    vanity: str | None = None
    page: Profile | None = None


@dataclass
class EnrichOutcome:
    """Result for one request: ``profile`` on success, else ``error`` (a reason for the user).

    ``item`` is the raw source record (e.g. the Apify dataset item) for the profile cache.
    ``retryable``: a failure that a later run may fix (profile not returned, transient error).
    """

    lead_id: int
    profile: Profile | None = None
    error: str | None = None
    item: dict[str, Any] | None = None
    retryable: bool = False


@runtime_checkable
class EnrichmentProvider(Protocol):
    """``enrich(requests)`` yields one :class:`EnrichOutcome` per request (any order)."""

    name: str

    def enrich(self, requests: Sequence[EnrichRequest]) -> Iterator[EnrichOutcome]: ...
