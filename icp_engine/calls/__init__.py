"""ICP from discovery calls: transcripts in, a quoted ICP proposal out, reviewed as a diff.

Pipeline (all pure functions except the Fathom client and :mod:`.service`)::

    calls = [parse_transcript(name, data) for name, data in files]      # or Fathom meetings
    proposal = propose(calls, client_name="Acme", client_domains=["acme.com"])
    d = diff_icp(current_icp, proposal)                                  # added / removed / unchanged
    new_icp, note = apply_changes(current_icp, d, accepted_ids)          # save as a new ICP version

Modules: :mod:`.model` (Call), :mod:`.parse` (transcript files), :mod:`.fathom` (Fathom API and an
offline folder), :mod:`.roles` (client vs agency), :mod:`.lexicon` and :mod:`.extract` (offline
extractor), :mod:`.openai_extract` (OpenAI extractor), :mod:`.accumulate` (provenance),
:mod:`.diff` (review and apply), :mod:`.service` (a client's calls kept in Postgres: ``engine.calls``;
imported on first use, not by this package).
"""

from __future__ import annotations

from typing import Iterable, Sequence

from .accumulate import Proposal, ProposalItem, accumulate, item_key
from .diff import Change, ICPDiff, apply_changes, diff_icp
from .extract import FIELDS, Extractor, Finding, OfflineExtractor, quote_in_call
from .model import Call, Invitee, Utterance
from .parse import TranscriptError, parse_transcript, parse_transcripts
from .roles import assign_roles

__all__ = [
    "Call", "Utterance", "Invitee", "Finding", "Extractor", "OfflineExtractor", "Proposal", "ProposalItem",
    "Change", "ICPDiff", "TranscriptError", "FIELDS", "parse_transcript", "parse_transcripts", "assign_roles",
    "accumulate", "diff_icp", "apply_changes", "propose", "extract_call", "get_extractor", "item_key",
]


def get_extractor(name: str = "offline", settings=None, **kwargs) -> Extractor:
    """``"offline"`` (default, no key) or ``"openai"`` (needs ``OPENAI_API_KEY`` in ``settings``).

    Raises ``ValueError`` for an unknown name or a missing key.
    """
    if name == "offline":
        return OfflineExtractor()
    if name == "openai":
        from .openai_extract import OpenAIExtractor

        return OpenAIExtractor(settings, **kwargs)
    raise ValueError(f"unknown extractor {name!r}; choose offline or openai")


def extract_call(
    call: Call,
    extractor: Extractor | None = None,
    *,
    client_name: str | None = None,
    client_domains: Iterable[str] = (),
    agency_domains: Iterable[str] = (),
) -> tuple[Call, list[Finding]]:
    """Assign speaker roles, run the extractor, and keep only findings whose quote occurs verbatim
    in the call. Returns ``(call_with_roles, findings)``."""
    extractor = extractor or OfflineExtractor()
    with_roles = assign_roles(call, client_domains=list(client_domains), agency_domains=list(agency_domains),
                              client_name=client_name)
    found = extractor.extract(with_roles)
    return with_roles, [f for f in found if quote_in_call(f.quote, with_roles)]


def propose(
    calls: Sequence[Call],
    extractor: Extractor | None = None,
    *,
    client_name: str | None = None,
    client_domains: Iterable[str] = (),
    agency_domains: Iterable[str] = (),
    previous: Proposal | None = None,
) -> Proposal:
    """A proposal from calls (see :func:`extract_call` and :func:`~.accumulate.accumulate`).

    ``client_domains``: the client's e-mail domains (tell its speakers apart from the agency's);
    ``previous``: an earlier proposal to expand or revise. Raises whatever the extractor raises
    (the OpenAI extractor: :class:`icp_engine.http.ServiceError`).
    """
    extractor = extractor or OfflineExtractor()
    doms = list(client_domains)
    adoms = list(agency_domains)
    pairs = []
    for c in calls:
        with_roles, found = extract_call(c, extractor, client_name=client_name, client_domains=doms,
                                         agency_domains=adoms)
        pairs.append((with_roles.ref(), found))
    return accumulate(pairs, previous, extractor=getattr(extractor, "name", ""))
