"""Proposal JSON (issue 11 shape), accumulation with a previous proposal, the ICP diff and apply."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from icp_engine.calls import Proposal, apply_changes, diff_icp, parse_transcript, propose
from icp_engine.calls.diff import proposal_values
from icp_engine.domain import ICP
from tests.conftest import FIXTURES

DEV = FIXTURES / "calls" / "dev"
TODAY = dt.date(2025, 12, 1)


def _calls(*names: str):
    return [parse_transcript(n, (DEV / n).read_bytes(), today=TODAY) for n in names]


def _arclight() -> Proposal:
    return propose(_calls("arclight-1.json", "arclight-2.txt"), client_name="Arclight Security",
                   client_domains=["arclight.example"])


def test_proposal_json_has_the_issue_shape_and_round_trips():
    prop = _arclight()
    data = json.loads(json.dumps(prop.to_json()))
    for f in ("target_titles", "target_industries", "company_sizes", "keywords", "locations", "exclusions"):
        assert isinstance(data[f], list)
        for item in data[f]:
            assert isinstance(item["value"], str) and item["evidence"]
            for ev in item["evidence"]:
                assert {"call", "quote", "timestamp"} <= set(ev) and isinstance(ev["quote"], str)
    assert [i["value"] for i in data["target_titles"]] == ["CISO", "Head of IT", "IT Manager", "CTO"]
    assert {(r["field"], r["value"]) for r in data["retracted"]} == {
        ("target_industries", "Online and Mail Order Retail"), ("company_sizes", "51-200")}
    ecom = next(r for r in data["retracted"] if r["field"] == "target_industries")
    assert ecom["retracted_by"][0]["quote"] == "Actually, forget e-commerce."
    assert ecom["evidence"][0]["call"] == "Arclight Security - targeting (2025-09-25)"
    again = Proposal.from_json(data)
    assert again.to_json()["target_industries"] == data["target_industries"]
    assert proposal_values(data)["company_sizes"] == ["201-500", "501-1000"]
    with pytest.raises(ValueError):
        proposal_values({"target_titles": ["CFO"]})


def test_a_new_call_expands_and_revises_and_a_repeat_does_not_double_count():
    first = propose(_calls("arclight-1.json"), client_name="Arclight Security", client_domains=["arclight.example"])
    assert "Online and Mail Order Retail" in first.values("target_industries")
    both = propose(_calls("arclight-2.txt"), client_name="Arclight Security", client_domains=["arclight.example"],
                   previous=first)
    assert "Online and Mail Order Retail" not in both.values("target_industries")
    assert "Law Practice" in both.values("target_industries")
    again = propose(_calls("arclight-2.txt"), client_name="Arclight Security", client_domains=["arclight.example"],
                    previous=both)
    assert [i.count for i in again.proposed("target_titles")] == [i.count for i in both.proposed("target_titles")]
    assert len(again.findings) == len(both.findings)


def test_diff_against_current_icp_and_apply_accepted_changes():
    prop = _arclight()
    current = ICP(name="Arclight v1", target_titles=["CISO", "VP Engineering"],
                  target_industries=["E-commerce", "Financial Services"], company_sizes=["mid-market"],
                  exclusions=["student"], keywords=["SOC 2"])
    d = diff_icp(current, prop)
    kinds = {(c.kind, c.field, c.value) for c in d.changes}
    assert ("unchanged", "target_titles", "CISO") in kinds
    assert ("unchanged", "target_titles", "VP Engineering") in kinds  # never mentioned: kept
    assert ("added", "target_titles", "CTO") in kinds
    assert ("removed", "target_industries", "E-commerce") in kinds  # alias canonicalised, retracted
    assert ("unchanged", "company_sizes", "201-500") in kinds  # covered by "mid-market"
    assert ("added", "target_industries", "Law Practice") in kinds
    removed = next(c for c in d.removed if c.value == "E-commerce")
    assert removed.evidence[0]["quote"] == "Actually, forget e-commerce." and "taken back" in removed.reason
    vpe = next(c for c in d.unchanged if c.value == "VP Engineering")
    assert vpe.evidence == [] and vpe.reason == "in the ICP, not mentioned in the calls"

    accept = [c.id for c in d.added if c.field == "target_titles"] + [removed.id]
    new, note = apply_changes(current, d, accept)
    assert new.target_titles == ["CISO", "VP Engineering", "Head of IT", "IT Manager", "CTO"]
    assert new.target_industries == ["Financial Services"]
    assert new.company_sizes == ["mid-market"] and new.keywords == ["SOC 2"] and new.name == "Arclight v1"
    assert note.startswith("From calls: Arclight Security - targeting (2025-09-25); Arclight - revisit ICP (2025-10-28).")
    assert "Added titles: Head of IT, IT Manager, CTO." in note and "Removed industries: E-commerce." in note
    with pytest.raises(ValueError, match="unknown change"):
        apply_changes(current, d, ["added:target_titles:nope"])


def test_diff_for_a_client_without_icp_and_defaults():
    prop = _arclight()
    d = diff_icp(None, prop)
    assert not d.removed and not d.unchanged
    new, note = apply_changes(None, d, d.default_ids(), name="Arclight ICP")
    assert new.target_titles == ["CISO", "Head of IT", "IT Manager", "CTO"]
    assert new.company_sizes == ["201-500", "501-1000"]
    assert new.name == "Arclight ICP" and "From calls:" in note
    nothing, note2 = apply_changes(None, d, [])
    assert nothing.is_empty() and note2 == "From calls: no change accepted"
