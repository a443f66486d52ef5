"""Enrichment providers behind one interface.

* ``page``: what the uploaded page/file itself holds (name, headline, location; offline default).
* ``apify-json``: items of an Apify dataset the user exported (JSON array or JSON Lines file).
* ``apify``: live runs of the LinkedIn profile scraper actor (``APIFY_API_TOKEN``).

A provider takes :class:`EnrichRequest` s and yields one :class:`EnrichOutcome` per request
(profile or error). The pipeline writes outcomes to ``leads``; providers that fetch or read
scraped items write them to the shared ``profile_cache`` themselves (``apify`` as soon as a
dataset is read, ``apify-json`` before yielding its outcomes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator, Protocol, Sequence, runtime_checkable

from ..domain import Profile
from ..enums import EnrichProvider, values
from ..errors import InvalidInput


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
    ``note``: a remark for the user on a success (e.g. "served from the profile cache", "not in
    the Apify export").
    ``from_cache``: the item came from the shared ``profile_cache`` (providers never write such an
    item back: that would refresh its 30-day TTL).
    ``fallback``: the provider had no data for this lead (not in an Apify export, no profile URL to
    send to Apify) and ``profile`` is the upload's own data
    (:func:`~icp_engine.enrich.page.profile_from_page`); ``note`` then says why, in words for the
    user (``"not in the Apify export"``), and the pipeline stores it as
    ``leads.enrichment_note = "enrichment: <note>"``, shown in the CSV's ``match_reasoning``.

    **Nothing is dropped.** A failure (``profile`` None) is retried while ``retryable`` and the
    lead has attempts left; when the pipeline gives up, the lead is qualified on the upload's data
    too, with ``"enrichment: <error>"`` as its note (:func:`icp_engine.db.leads.write_enrich_failures`).
    """

    lead_id: int
    profile: Profile | None = None
    error: str | None = None
    item: dict[str, Any] | None = None
    retryable: bool = False
    note: str | None = None
    from_cache: bool = False
    fallback: bool = False


@runtime_checkable
class EnrichmentProvider(Protocol):
    """``enrich(requests)`` yields one :class:`EnrichOutcome` per request (any order)."""

    name: str

    def enrich(self, requests: Sequence[EnrichRequest]) -> Iterator[EnrichOutcome]: ...


PROVIDER_NAMES: tuple[str, ...] = values(EnrichProvider)


def get_provider(
    name: str,
    *,
    settings: Any = None,
    db: Any = None,
    run_id: int | None = None,
    profiles_path: Any = None,
    transport: Any = None,
) -> EnrichmentProvider:
    """Build the provider called ``name`` (one of :data:`PROVIDER_NAMES`).

    ``page`` needs nothing; ``apify-json`` needs ``profiles_path`` (exported dataset, JSON array
    or JSONL) and caches matched items when ``db`` is given; ``apify`` needs ``settings`` (with
    ``apify_api_token``) and ``db``.
    Raises :class:`~icp_engine.errors.InvalidInput` (a ``ValueError``) for an unknown name or a
    missing argument.
    """
    if name == EnrichProvider.PAGE:
        from .page import PageProvider

        return PageProvider()
    if name == EnrichProvider.APIFY_JSON:
        from .apify_json import ApifyJsonProvider

        if profiles_path is None:
            raise InvalidInput("the apify-json provider needs the exported dataset file (--profiles)")
        return ApifyJsonProvider(profiles_path, db=db)
    if name == EnrichProvider.APIFY:
        from .apify import ApifyProvider

        if settings is None or db is None:
            raise InvalidInput("the apify provider needs settings and a database")
        return ApifyProvider(settings, db, run_id, transport=transport)
    raise InvalidInput(f"unknown enrichment provider {name!r}; expected one of {', '.join(PROVIDER_NAMES)}")
