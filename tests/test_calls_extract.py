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
    assert p.values("target_titles", audience=True) == ["HR Manager", "Recruiter"]
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


# ------------------------------------------------------------------ general rules (no word lists)

def test_industries_from_the_word_forms_of_every_v2_label():
    from icp_engine.calls.lexicon import find_industries

    inds = lambda t: [s.value for s in find_industries(t)[0]]  # noqa: E731
    # core + a business noun of the label's kind (manufacturing, publishing, retail...)
    assert inds("mostly seafood processors") == ["Seafood Product Manufacturing"]
    assert inds("newspaper publishers and art dealers") == ["Newspaper Publishing", "Retail Art Dealers"]
    # the -er agent of a producing activity is the business; not so in service sectors
    assert inds("we sell to farmers") == ["Farming"]
    assert inds("we sell to marketers") == []
    # a bare everyday word is an industry only in context
    assert inds("the sound quality was poor") == []
    assert inds("solar mostly, some wind") == ["Solar Electric Power Generation", "Wind Electric Power Generation"]
    assert inds("solar and battery storage") == ["Solar Electric Power Generation"]  # a compound, not warehousing
    assert inds("drop nuclear for now") == ["Nuclear Electric Power Generation"]  # object of a cue verb
    # ambiguous words in a list with a plain industry
    assert inds("Consulting, law, accounting, the people-heavy ones.") == [
        "Business Consulting and Services", "Law Practice", "Accounting"]


def test_title_grammar_seniority_function_head():
    vals = lambda t: [s.value for s in find_titles(t)]  # noqa: E731
    assert vals("there's a head of food safety") == ["Head of Food Safety"]
    assert vals("the development director or the director of clinical governance") == [
        "Development Director", "Director of Clinical Governance"]
    assert vals("the group finance director") == ["Group Finance Director"]
    assert vals("Rights director is the big one.") == ["Rights Director"]
    # a verb before a title is not part of it; a specific pattern beats the open grammar
    assert vals("I'd add operations managers there") == ["Operations Manager"]
    assert vals("And add chief legal officers") == ["Chief Legal Officer"]
    assert vals("the odd managing director") == ["Managing Director"]
    # "director of the group": the function is before the head
    assert vals("the operations director of the group") == ["Operations Director"]
    # companies and colleagues are not targets
    assert vals("mostly property developers") == []
    assert vals("and this is Sam, he's joined us as head of marketing") == []
    assert vals("my line manager liked it") == []
    # a bare partner only inside an organisation
    assert vals("at a law firm it's one of the partners") == ["Partner"]
    assert vals("can we tag the two partners we met there?") == []


def test_sizes_said_in_many_ways():
    bands = lambda t, **k: [h.bands for h in find_sizes(t, **k)]  # noqa: E731
    assert bands("twenty-ish up to maybe three hundred people") == [("11-50", "51-200", "201-500")]
    assert bands("forty-odd staff up to about a thousand") == [("11-50", "51-200", "201-500", "501-1000")]
    assert bands("up to two-fifty headcount") == [("1-10", "11-50", "51-200", "201-500")]
    assert bands("a headcount of between eighty and one-twenty") == [("51-200",)]
    assert bands("between two hundred and fifty and five hundred staff") == [("201-500",)]
    assert bands("teams of under twenty") == [("1-10", "11-50")]
    assert bands("seventy full-time employees and up") == [
        ("51-200", "201-500", "501-1000", "1001-5000", "5001-10000", "10001+")]
    (hit,) = find_sizes("nobody has more than, I dunno, six hundred FTEs")
    assert hit.direction == "atmost" and hit.bands[-1] == "501-1000"
    assert bands("turnover of ten to forty million", size_context=True) == []


def test_open_bounds_in_one_turn_make_a_range_and_negated_bound_is_kept():
    p = _prop(_call(
        ("agency", "How big are they?"),
        ("client", "Seventy employees and up. Nobody in that space has more than four hundred staff."),
    ))
    assert p.values("company_sizes") == ["51-200", "201-500"]


def test_retraction_cues_and_their_object():
    c1 = _call(("client", "Utilities and telecoms companies buy from us."), cid="a", date="2025-01-01")
    c2 = _call(("client", "Take utilities off the list, they take a year to buy."), cid="b", date="2025-02-01")
    c3 = _call(("client", "And put telecoms on hold for now."), cid="c", date="2025-03-01")
    p = _prop(c1, c2, c3)
    assert p.values("target_industries") == []
    assert sorted(i.value for i in p.with_status("retracted")) == ["Telecommunications", "Utilities"]


def test_a_colleague_contradicting_a_claim_leaves_it_unconfirmed():
    call = Call(id="d", title="Planning", source="text", date="2025-01-10", utterances=[
        Utterance("Ann", "Anything on targeting?", 0.0, role="agency"),
        Utterance("Ollie", "Our sweet spot is teams of under twenty now.", 5.0, role="client"),
        Utterance("Cleo", "No, I don't think that's true, Ollie, leave the sizes as they are.", 9.0, role="client"),
    ])
    p = _prop(call)
    assert p.values("company_sizes") == []
    assert {i.value for i in p.with_status("unconfirmed")} >= {"1-10", "11-50"}


def test_a_confirmed_size_question_gives_one_item_per_band():
    p = _prop(_call(("agency", "So that's fifty to four hundred people?"), ("client", "Yep, that's right.")))
    assert p.values("company_sizes") == ["51-200", "201-500"]
