"""Offline extractor behaviour on small dialogues, and the development set as a regression guard."""

from __future__ import annotations

import importlib.util
import io
from contextlib import redirect_stdout

from icp_engine.calls import Call, OfflineExtractor, Utterance, propose
from icp_engine.calls.lexicon import find_sizes, find_titles, title_key
from tests.conftest import ROOT


def _call(*turns: tuple[str, str], cid: str = "c1", date: str | None = "2025-01-10") -> Call:
    """Turns as (role, text); the agency is 'Ann', the client 'Cleo'."""
    utts = [Utterance(speaker="Ann" if r == "agency" else "Cleo", text=t, seconds=float(i * 10), role=r)
            for i, (r, t) in enumerate(turns)]
    return Call(id=cid, title=f"Call {cid}", utterances=utts, source="text", date=date)


def _prop(*calls: Call):
    from icp_engine.calls.accumulate import accumulate

    ext = OfflineExtractor()
    return accumulate([(c.ref(), ext.extract(c)) for c in calls])


def test_titles_short_form_and_keys():
    assert [s.value for s in find_titles("We want CFOs, VPs of Finance and heads of FP&A.")] == [
        "CFO", "VP of Finance", "Head of FP&A"]
    assert title_key("VP of Finance") == title_key("VP Finance") == title_key("vice president finance")
    assert title_key("Director of Operations") == title_key("ops directors")
    assert title_key("Chief Operating Officer") == title_key("COO")
    # roles as things a company has or lacks are not targets
    assert find_titles("they've usually got a proper CFO already") == []
    assert find_titles("we put a part-time FD into businesses") == []


def test_sizes_in_words_bounds_and_units():
    bands = lambda t, **k: [h.bands for h in find_sizes(t, **k)]  # noqa: E731
    assert bands("fifty to two hundred people") == [("51-200",)]
    assert bands("under 50 staff") == [("1-10", "11-50")]
    assert bands("five to fifteen thousand staff") == [("5001-10000", "10001+")]
    assert bands("a couple of hundred staff up to maybe a thousand") == [("201-500", "501-1000")]
    assert bands("turnover three to thirty million", size_context=True) == []
    assert bands("between five and fifty homes") == []
    assert bands("mid-market") == [("201-500", "501-1000")]
    assert bands("Series B") == [("51-200", "201-500")]


def test_client_statements_negations_and_exclusion_questions():
    p = _prop(_call(
        ("agency", "Who do you sell to?"),
        ("client", "Mostly CFOs at SaaS companies, fifty to two hundred people. Not agencies."),
        ("agency", "Who should we ignore?"),
        ("client", "Students. And I don't care about recruiters either."),
    ))
    assert p.values("target_titles") == ["CFO"]
    assert p.values("target_industries") == ["Software Development"]
    assert p.values("company_sizes") == ["51-200"]
    assert p.values("exclusions") == ["agency", "student", "recruiter"]


def test_agency_questions_count_only_when_the_client_confirms():
    p = _prop(_call(
        ("agency", "What about CTOs?"), ("client", "Yes, definitely."),
        ("agency", "And healthcare?"), ("client", "No, not for us."),
        ("agency", "Would manufacturing work?"), ("client", "Let me think about the pricing first."),
        ("agency", "I guess we could also try logistics companies."),
    ))
    assert p.values("target_titles") == ["CTO"]
    (cto,) = p.proposed("target_titles")
    assert cto.support[0].quote == "What about CTOs?" and cto.support[0].confirmed_by == "Yes, definitely."
    assert p.values("target_industries") == []
    assert [i.value for i in p.with_status("excluded")] == ["Hospitals and Health Care"]
    # the agency's own idea stays unconfirmed
    assert [i.value for i in p.with_status("unconfirmed")] == ["Transportation, Logistics, Supply Chain and Storage"]


def test_retraction_in_a_later_call_and_return():
    c1 = _call(("client", "Healthcare and fintech are our best markets."), cid="a", date="2025-01-01")
    c2 = _call(("client", "Actually, forget healthcare, the cycles are too long."), cid="b", date="2025-02-01")
    p = _prop(c2, c1)  # order given does not matter: calls fold by date
    assert p.values("target_industries") == ["Financial Services"]
    (hc,) = p.with_status("retracted")
    assert hc.value == "Hospitals and Health Care" and hc.retractions[0].call_id == "b"
    c3 = _call(("client", "We are back in healthcare, hospitals are buying again."), cid="c", date="2025-03-01")
    p3 = _prop(c1, c2, c3)
    assert "Hospitals and Health Care" in p3.values("target_industries")
    item = next(i for i in p3.proposed("target_industries") if i.value == "Hospitals and Health Care")
    assert item.count == 2 and len(item.retractions) == 1  # history kept


def test_conflict_is_recorded_not_silently_replaced():
    c1 = _call(("client", "Agencies are a great fit for us, and consultancies."), cid="a", date="2025-01-01")
    c2 = _call(("client", "We don't sell to consultancies any longer, they never pay."), cid="b", date="2025-02-01")
    p = _prop(c1, c2)
    (item,) = [i for i in p.items["target_industries"] if i.value == "Business Consulting and Services"]
    assert item.status == "excluded" and item.conflict and item.support and item.against


def test_audience_is_kept_apart_from_buyers():
    p = _prop(_call(
        ("client", "The buyers are heads of people at scale-ups."),
        ("agency", "And who should read the content?"),
        ("client", "For the content I want HR managers and recruiters reading it, they share everything. "
                   "But they don't buy."),
    ))
    assert p.values("target_titles") == ["Head of People"]
    assert p.values("target_titles", audience=True) == ["HR Manager"]
    assert p.values("exclusions") == []


def test_self_description_and_quotes_are_verbatim():
    call = _call(("client", "We're about forty people ourselves, mostly engineers. Our buyers are COOs at "
                            "logistics firms with two hundred to a thousand staff."))
    found = OfflineExtractor().extract(call)
    assert {f.value for f in found if f.field == "company_sizes"} == {"201-500", "501-1000"}
    assert all(f.quote in call.utterances[0].text for f in found)


def test_development_set_meets_the_targets():
    spec = importlib.util.spec_from_file_location("bench_calls", ROOT / "benchmarks" / "bench_calls.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)  # type: ignore[union-attr]
    with redirect_stdout(io.StringIO()):
        res = bench.run_set("dev", "offline", verbose=False)
    assert res["precision"] >= 0.8 and res["recall"] >= 0.7
    assert res["retracted_proposed"] == 0 and res["quoted"] >= 0.95


def test_propose_assigns_roles_from_domains():
    utts = [Utterance("Ann", "Who buys from you?", 1, email="ann@agency.example"),
            Utterance("Cleo", "Finance directors.", 4, email="cleo@client.example"),
            Utterance("Ann", "So CFOs as well, I'd guess.", 8, email="ann@agency.example")]
    call = Call(id="x", title="Discovery", utterances=utts, source="fathom-json")
    p = propose([call], client_domains=["client.example"], agency_domains=["agency.example"])
    assert p.values("target_titles") == ["Finance Director"]
    assert [i.value for i in p.with_status("unconfirmed")] == ["CFO"]
