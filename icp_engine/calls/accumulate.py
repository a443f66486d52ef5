"""Fold the findings of many calls into one ICP proposal, keeping every piece of provenance. Pure.

:func:`accumulate` orders calls by date (undated calls last, in the order given) and walks each
item's findings in time order:

* *include* adds support (the speaker's weight); at :data:`~.extract.PROPOSE_THRESHOLD` the item
  is **proposed** (below it, e.g. only the agency said it, it stays **unconfirmed**);
* *retract* by the client ("actually, forget healthcare") makes a proposed item **retracted**;
* *exclude* by the client makes it **excluded**; when it had been proposed this is also recorded as
  a **conflict** (both sides keep their quotes);
* a later *include* brings a retracted/excluded item back; nothing is ever dropped silently:
  every finding stays in the item's evidence, retractions or objections.

A new call therefore expands or revises a proposal: :func:`accumulate` with ``previous`` re-folds
the previous proposal's findings with the new ones (a call processed again replaces its own
earlier findings, so nothing counts twice).

:class:`Proposal` serialises to PROPOSAL.json (:meth:`Proposal.to_json`), the format of issue 11::

    {"target_titles": [{"value": "CFO", "evidence": [{"call": "...", "quote": "...", "timestamp": "1:12"}]}],
     "target_industries": [...], "company_sizes": [...], "keywords": [...], "locations": [...],
     "exclusions": [...],
     "audience": {...same fields: people the client wants reading the content, who do not buy...},
     "retracted": [...], "not_targets": [...], "conflicts": [...], "unconfirmed": [...],
     "calls": [...], "findings": [...]}

Each item also carries ``count`` (calls supporting it) and ``calls``; each evidence entry also
``speaker``, ``role``, ``call_id``, ``date`` and ``confirmed_by`` (when the quote is an agency
question the client said yes to).
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any, Iterable, Sequence

from .extract import FIELDS, PROPOSE_THRESHOLD, Finding
from .lexicon import industry_key, title_key

__all__ = ["Proposal", "ProposalItem", "accumulate", "item_key", "STATUSES"]

STATUSES = ("proposed", "unconfirmed", "retracted", "excluded")


def item_key(field_name: str, value: str) -> str:
    """Matching key of an item: titles by :func:`~.lexicon.title_key`, other fields case-insensitively."""
    if field_name == "target_titles":
        return title_key(value)
    if field_name == "target_industries":
        return industry_key(value)
    return " ".join(value.lower().split())


def _evidence(f: Finding) -> dict[str, Any]:
    ev = {"call": f.call_label, "quote": f.quote, "timestamp": f.timestamp, "speaker": f.speaker, "role": f.role,
          "call_id": f.call_id, "date": f.call_date}
    if f.confirmed_by:
        ev["confirmed_by"] = f.confirmed_by
    return ev


@dataclass
class ProposalItem:
    """One item of a proposal with its history.

    ``status``: one of :data:`STATUSES`; ``support``: include evidence; ``against``: exclude
    evidence; ``retractions``: retract evidence (all :class:`~.extract.Finding`, in time order);
    ``conflict``: True when the client both asked for and against it; ``weight``: support weight
    since the last retraction/exclusion.
    """

    field: str
    value: str
    key: str
    audience: str = "icp"
    status: str = "unconfirmed"
    support: list[Finding] = dc_field(default_factory=list)
    against: list[Finding] = dc_field(default_factory=list)
    retractions: list[Finding] = dc_field(default_factory=list)
    conflict: bool = False
    weight: float = 0.0

    @property
    def calls(self) -> list[str]:
        """Ids of the calls whose statements support the item, in order."""
        return list(dict.fromkeys(f.call_id for f in self.support))

    @property
    def count(self) -> int:
        """Number of calls supporting the item."""
        return len(self.calls)

    def to_json(self) -> dict[str, Any]:
        """``{"value", "evidence": [...], "count", "calls"}`` plus ``retracted_by`` / ``against`` when any."""
        out: dict[str, Any] = {"value": self.value, "evidence": [_evidence(f) for f in self.support],
                               "count": self.count, "calls": self.calls}
        if self.retractions:
            out["retracted_by"] = [_evidence(f) for f in self.retractions]
        if self.against:
            out["against"] = [_evidence(f) for f in self.against]
        return out


@dataclass
class Proposal:
    """ICP items proposed from calls. ``items[field]``/``audience[field]`` list every item of that
    field whatever its status; ``calls`` are call refs (:meth:`~.model.Call.ref`) in the order
    folded; ``findings`` everything the extractor found (the input of :func:`accumulate`)."""

    calls: list[dict[str, Any]] = dc_field(default_factory=list)
    findings: list[Finding] = dc_field(default_factory=list)
    items: dict[str, list[ProposalItem]] = dc_field(default_factory=dict)
    audience: dict[str, list[ProposalItem]] = dc_field(default_factory=dict)
    extractor: str = ""

    def proposed(self, field_name: str, *, audience: bool = False) -> list[ProposalItem]:
        """Items of ``field_name`` with status ``proposed`` (the content audience with ``audience=True``)."""
        src = self.audience if audience else self.items
        return [i for i in src.get(field_name, []) if i.status == "proposed"]

    def values(self, field_name: str, *, audience: bool = False) -> list[str]:
        """Values of the proposed items of a field."""
        return [i.value for i in self.proposed(field_name, audience=audience)]

    def with_status(self, status: str) -> list[ProposalItem]:
        """ICP items with ``status`` across all fields."""
        return [i for f in FIELDS for i in self.items.get(f, []) if i.status == status]

    def conflicts(self) -> list[ProposalItem]:
        """Items the client both asked for and against."""
        return [i for f in FIELDS for i in self.items.get(f, []) if i.conflict]

    def to_json(self) -> dict[str, Any]:
        """PROPOSAL.json (see the module docstring); JSON-serialisable."""
        out: dict[str, Any] = {f: [i.to_json() for i in self.proposed(f)] for f in FIELDS}
        out["audience"] = {f: [i.to_json() for i in self.proposed(f, audience=True)] for f in FIELDS
                           if self.proposed(f, audience=True)}
        out["retracted"] = [{"field": i.field, **i.to_json()} for i in self.with_status("retracted")]
        out["not_targets"] = [{"field": i.field, **i.to_json()} for i in self.with_status("excluded")]
        out["conflicts"] = [{"field": i.field, "value": i.value, "status": i.status,
                             "for": [_evidence(f) for f in i.support], "against": [_evidence(f) for f in i.against]}
                            for i in self.conflicts()]
        out["unconfirmed"] = [{"field": i.field, **i.to_json()} for i in self.with_status("unconfirmed")]
        out["calls"] = list(self.calls)
        out["extractor"] = self.extractor
        out["findings"] = [f.to_dict() for f in self.findings]
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Proposal:
        """Rebuild a proposal from :meth:`to_json` output (re-folds its ``findings``).

        Raises ``ValueError`` when ``findings`` is missing (a hand-written file: use
        :func:`icp_engine.calls.diff.proposal_values` to read its items instead).
        """
        if not isinstance(data, dict) or not isinstance(data.get("findings"), list):
            raise ValueError("PROPOSAL.json without 'findings' cannot be re-folded")
        findings = [Finding.from_dict(d) for d in data["findings"] if isinstance(d, dict)]
        calls = [c for c in data.get("calls") or [] if isinstance(c, dict)]
        return accumulate([(c, [f for f in findings if f.call_id == c.get("id")]) for c in calls],
                          extractor=str(data.get("extractor") or ""))


def _order_calls(calls: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    idx = {id(c): i for i, c in enumerate(calls)}
    return sorted(calls, key=lambda c: (c.get("date") is None, c.get("date") or "", idx[id(c)]))


def _fold(findings: Iterable[Finding], audience: str) -> list[ProposalItem]:
    items: dict[tuple[str, str], ProposalItem] = {}
    for f in findings:
        k = (f.field, item_key(f.field, f.value))
        it = items.get(k)
        if it is None:
            it = items[k] = ProposalItem(field=f.field, value=f.value, key=k[1], audience=audience)
        strong = f.weight >= PROPOSE_THRESHOLD
        if f.polarity == "include":
            it.support.append(f)
            it.weight += f.weight
            if it.weight >= PROPOSE_THRESHOLD:
                if it.status == "excluded" and any(a.weight >= PROPOSE_THRESHOLD for a in it.against):
                    it.conflict = True
                it.status = "proposed"
            elif it.status not in ("proposed",):
                it.status = "unconfirmed" if it.status not in ("retracted", "excluded") else it.status
        elif f.polarity == "retract":
            it.retractions.append(f)
            if strong and it.status in ("proposed", "unconfirmed"):
                it.status, it.weight = "retracted", 0.0
            elif strong and not it.support:
                it.status = "retracted"
        elif f.polarity == "exclude":
            it.against.append(f)
            if strong:
                if it.status == "proposed":
                    it.conflict = True
                it.status, it.weight = "excluded", 0.0
    for it in items.values():
        # show the value the client said most often (first on ties), not the agency's wording
        forms = [f.value for f in it.support if f.role != "agency"] or [f.value for f in it.support]
        if forms and it.field == "target_titles":
            it.value = max(dict.fromkeys(forms), key=forms.count)
    return list(items.values())


def accumulate(
    extractions: Sequence[tuple[dict[str, Any], Sequence[Finding]]],
    previous: Proposal | None = None,
    *,
    extractor: str = "",
) -> Proposal:
    """One proposal from ``(call_ref, findings)`` pairs (and, optionally, a previous proposal).

    ``call_ref``: :meth:`~.model.Call.ref` (needs ``id``; ``date`` orders the calls). A call id
    already in ``previous`` replaces that call's earlier findings. Pure; never raises on valid input.
    """
    calls: dict[str, dict[str, Any]] = {}
    by_call: dict[str, list[Finding]] = {}
    if previous is not None:
        for c in previous.calls:
            calls[c["id"]] = c
            by_call[c["id"]] = [f for f in previous.findings if f.call_id == c["id"]]
        extractor = extractor or previous.extractor
    for ref, fs in extractions:
        calls[ref["id"]] = dict(ref)
        by_call[ref["id"]] = list(fs)
    ordered = _order_calls(list(calls.values()))
    rank = {c["id"]: i for i, c in enumerate(ordered)}
    findings = sorted((f for cid in rank for f in by_call.get(cid, [])),
                      key=lambda f: (rank[f.call_id], f.order, f.seconds or 0.0))
    icp_items = _fold((f for f in findings if f.audience != "content"), "icp")
    aud_items = _fold((f for f in findings if f.audience == "content"), "content")
    proposed_keys = {(i.field, i.key) for i in icp_items if i.status == "proposed"}
    negative_keys = {(i.field, i.key) for i in icp_items if i.status in ("retracted", "excluded")}
    aud_items = [i for i in aud_items if (i.field, i.key) not in proposed_keys | negative_keys]
    prop = Proposal(calls=ordered, findings=findings, extractor=extractor)
    for f in FIELDS:
        prop.items[f] = [i for i in icp_items if i.field == f]
        prop.audience[f] = [i for i in aud_items if i.field == f]
    return prop
