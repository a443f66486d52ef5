"""Review a proposal against the current ICP, and apply what the user accepts. Pure.

:func:`diff_icp` lists, per ICP field, what the calls would **add** (proposed, not in the ICP),
**remove** (in the ICP, but the client retracted or excluded it), and what stays **unchanged**
(in both, with the quotes; or in the ICP and never mentioned in the calls: a call that is silent
about an item never removes it). Every change has a stable ``id`` the dashboard and CLI pass back
to :func:`apply_changes`, which returns the new ICP and a change note naming the calls behind the
accepted changes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from dataclasses import field as dc_field
from typing import Any, Iterable

from ..domain import ICP
from ..taxonomy import canonical_industry, resolve_size_bands
from .accumulate import Proposal, ProposalItem, item_key
from .extract import FIELDS

__all__ = ["Change", "ICPDiff", "diff_icp", "apply_changes", "FIELD_LABELS", "proposal_values"]

#: Words for the screen and the change note.
FIELD_LABELS: dict[str, str] = {
    "target_titles": "titles", "target_industries": "industries", "company_sizes": "company sizes",
    "keywords": "keywords", "locations": "locations", "exclusions": "exclusions",
}


@dataclass
class Change:
    """One line of the review.

    ``id``: ``"<kind>:<field>:<key>"`` (stable for the same proposal and ICP); ``kind``: ``added``,
    ``removed`` or ``unchanged``; ``evidence``: quotes (dicts with call, quote, timestamp, speaker,
    role); ``reason``: a sentence for the screen; ``calls``: labels of the calls behind it;
    ``default``: whether the review should start with it ticked (added/removed items the client
    stated, not the agency alone).
    """

    id: str
    kind: str
    field: str
    value: str
    evidence: list[dict[str, Any]] = dc_field(default_factory=list)
    reason: str = ""
    calls: list[str] = dc_field(default_factory=list)
    default: bool = True

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ICPDiff:
    """All changes of a proposal against an ICP; ``calls``: the proposal's call refs."""

    changes: list[Change]
    calls: list[dict[str, Any]] = dc_field(default_factory=list)

    @property
    def added(self) -> list[Change]:
        return [c for c in self.changes if c.kind == "added"]

    @property
    def removed(self) -> list[Change]:
        return [c for c in self.changes if c.kind == "removed"]

    @property
    def unchanged(self) -> list[Change]:
        return [c for c in self.changes if c.kind == "unchanged"]

    def by_field(self) -> dict[str, list[Change]]:
        """Changes grouped by ICP field, in :data:`FIELDS` order."""
        return {f: [c for c in self.changes if c.field == f] for f in FIELDS}

    def default_ids(self) -> list[str]:
        """Ids of the added/removed changes ticked by default."""
        return [c.id for c in self.changes if c.kind != "unchanged" and c.default]

    def to_json(self) -> dict[str, Any]:
        return {"changes": [c.to_dict() for c in self.changes], "calls": self.calls}


def _current_key(field_name: str, value: str) -> str:
    if field_name == "target_industries":
        return item_key(field_name, canonical_industry(value) or value)
    return item_key(field_name, value)


def _evidence(item: ProposalItem, which: str = "support") -> list[dict[str, Any]]:
    return ProposalItem.to_json(item).get({"support": "evidence", "against": "against",
                                           "retractions": "retracted_by"}[which], [])


def _labels(evs: list[dict[str, Any]]) -> list[str]:
    return list(dict.fromkeys(e["call"] for e in evs))


def diff_icp(current: ICP | None, proposal: Proposal) -> ICPDiff:
    """Changes the proposal makes to ``current`` (None: a client without an ICP yet).

    Sizes compare by band, so a current ``"mid-market"`` covers proposed 201-500 and 501-1000;
    industries by V2 label (legacy names and aliases in the ICP are canonicalised).
    """
    current = current or ICP()
    changes: list[Change] = []
    for f in FIELDS:
        cur_values: list[str] = list(getattr(current, f))
        cur_keys = {_current_key(f, v): v for v in cur_values}
        covered_bands: set[str] = set()
        if f == "company_sizes":
            for v in cur_values:
                covered_bands.update(resolve_size_bands(v))
        items = {i.key: i for i in proposal.items.get(f, [])}
        seen: set[str] = set()
        for it in proposal.items.get(f, []):
            if it.status != "proposed":
                continue
            ev = _evidence(it)
            in_current = it.key in cur_keys or (f == "company_sizes" and it.value in covered_bands)
            if in_current:
                cur_v = cur_keys.get(it.key, it.value)
                seen.add(_current_key(f, cur_v) if it.key in cur_keys else it.key)
                changes.append(Change(id=f"unchanged:{f}:{it.key}", kind="unchanged", field=f, value=cur_v, evidence=ev,
                                      reason=f"in the ICP and said in {it.count} call{'s' if it.count != 1 else ''}",
                                      calls=_labels(ev), default=True))
            else:
                client_said = any(e.get("role") != "agency" or e.get("confirmed_by") for e in ev)
                changes.append(Change(id=f"added:{f}:{it.key}", kind="added", field=f, value=it.value, evidence=ev,
                                      reason=f"said in {it.count} call{'s' if it.count != 1 else ''}",
                                      calls=_labels(ev), default=client_said))
        for key, cur_v in cur_keys.items():
            if key in seen:
                continue
            old = items.get(key)
            if old is not None and old.status in ("retracted", "excluded"):
                which = "retractions" if old.status == "retracted" else "against"
                ev = _evidence(old, which)
                last = ev[-1] if ev else {}
                verb = "taken back" if old.status == "retracted" else "ruled out"
                changes.append(Change(id=f"removed:{f}:{key}", kind="removed", field=f, value=cur_v, evidence=ev,
                                      reason=f"{verb} in {last.get('call', 'a call')}", calls=_labels(ev),
                                      default=True))
            else:
                changes.append(Change(id=f"unchanged:{f}:{key}", kind="unchanged", field=f, value=cur_v, evidence=[],
                                      reason="in the ICP, not mentioned in the calls", calls=[], default=True))
    return ICPDiff(changes=changes, calls=list(proposal.calls))


def apply_changes(current: ICP | None, diff: ICPDiff, accepted: Iterable[str], *,
                  name: str | None = None) -> tuple[ICP, str]:
    """The ICP with the accepted changes applied, and a change note naming their calls.

    ``accepted``: ids of :class:`Change` (unknown ids raise ``ValueError``; unchanged ids are
    allowed and do nothing). Rejected changes leave the current value as it is.
    """
    current = current or ICP()
    by_id = {c.id: c for c in diff.changes}
    acc = list(dict.fromkeys(accepted))
    unknown = [a for a in acc if a not in by_id]
    if unknown:
        raise ValueError(f"unknown change id(s): {', '.join(unknown[:5])}")
    chosen = [by_id[a] for a in acc if by_id[a].kind != "unchanged"]
    data = current.model_dump()
    for f in FIELDS:
        values = list(data.get(f) or [])
        removed = {c.value for c in chosen if c.field == f and c.kind == "removed"}
        values = [v for v in values if v not in removed]
        keys = {_current_key(f, v) for v in values}
        for c in chosen:
            if c.field == f and c.kind == "added" and _current_key(f, c.value) not in keys:
                values.append(c.value)
                keys.add(_current_key(f, c.value))
        data[f] = values
    if not data.get("name"):
        data["name"] = name or "ICP from calls"
    new = ICP.model_validate(data)
    return new, change_note(chosen)


def change_note(chosen: list[Change]) -> str:
    """``"From calls: A (2025-09-10); B. Added titles: CFO, VP Finance. Removed industries: Insurance."``"""
    if not chosen:
        return "From calls: no change accepted"
    calls = list(dict.fromkeys(label for c in chosen for label in c.calls))
    parts = [f"From calls: {'; '.join(calls) if calls else 'none'}."]
    for kind, word in (("added", "Added"), ("removed", "Removed")):
        per = [(f, [c.value for c in chosen if c.kind == kind and c.field == f]) for f in FIELDS]
        per = [(f, vs) for f, vs in per if vs]
        if per:
            parts.append(f"{word} " + "; ".join(f"{FIELD_LABELS[f]}: {', '.join(vs)}" for f, vs in per) + ".")
    return " ".join(parts)


def proposal_values(data: dict[str, Any]) -> dict[str, list[str]]:
    """Values per field of a PROPOSAL.json (also hand-written ones without ``findings``).

    Raises ``ValueError`` when a field is not a list of ``{"value": str, ...}`` objects.
    """
    out: dict[str, list[str]] = {}
    for f in FIELDS:
        items = data.get(f, [])
        if not isinstance(items, list):
            raise ValueError(f"PROPOSAL.json: {f} must be a list")
        vals = []
        for it in items:
            if not isinstance(it, dict) or not isinstance(it.get("value"), str):
                raise ValueError(f"PROPOSAL.json: each {f} item needs a string 'value'")
            vals.append(it["value"])
        out[f] = vals
    return out
