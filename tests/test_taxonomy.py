"""LinkedIn industry taxonomy (V2 labels, hierarchy, V1 mapping), size bands and company types."""

from __future__ import annotations

import pytest

from icp_engine import taxonomy as tx
from icp_engine.domain import SIZE_BANDS


def test_v2_outline_shape():
    assert 400 <= len(tx.INDUSTRIES) <= 470
    assert len(set(tx.INDUSTRIES)) == len(tx.INDUSTRIES)
    assert "Technology, Information and Media" in tx.TOP_LEVEL_INDUSTRIES
    assert "Financial Services" in tx.TOP_LEVEL_INDUSTRIES
    assert "Manufacturing" in tx.TOP_LEVEL_INDUSTRIES
    assert len(tx.TOP_LEVEL_INDUSTRIES) == 20
    # every parent is itself a label; no cycles (ancestor chains end at a top-level group)
    for label in tx.INDUSTRIES:
        anc = tx.industry_ancestors(label)
        assert len(anc) <= 4
        if anc:
            assert anc[-1] in tx.TOP_LEVEL_INDUSTRIES
        else:
            assert label in tx.TOP_LEVEL_INDUSTRIES


def test_every_v1_and_alias_target_is_a_v2_label():
    for target in list(tx.V1_TO_V2.values()) + list(tx.INDUSTRY_ALIASES.values()):
        assert tx.is_v2_label(target), target
    # the 147 legacy V1 industries are covered (some with "&" and "and" spellings)
    assert len({tx.normalise_label(k) for k in tx.V1_TO_V2}) >= 140


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Computer Software", "Software Development"),
        ("computer software", "Software Development"),
        ("Information Technology and Services", "IT Services and IT Consulting"),
        ("Information Technology & Services", "IT Services and IT Consulting"),
        ("Financial Services", "Financial Services"),
        ("Venture Capital & Private Equity", "Venture Capital and Private Equity Principals"),
        ("Marketing and Advertising", "Advertising Services"),
        ("Hospital & Health Care", "Hospitals and Health Care"),
        ("Internet", "Technology, Information and Internet"),
        ("Management Consulting", "Business Consulting and Services"),
        ("  software development ", "Software Development"),
        ("SOFTWARE-DEVELOPMENT", "Software Development"),
        ("Non profit organizations", "Non-profit Organizations"),
        ("computer and network security", "Computer and Network Security"),
        ("Computer & Network Security", "Computer and Network Security"),
        ("SaaS", "Software Development"),
        ("fintech", "Financial Services"),
        ("Software Development industry", "Software Development"),
    ],
)
def test_canonical_industry(raw, expected):
    assert tx.canonical_industry(raw) == expected


@pytest.mark.parametrize("raw", [None, "", "   ", "Underwater Basket Weaving", "Quillstone Systems"])
def test_canonical_industry_unknown(raw):
    assert tx.canonical_industry(raw) is None


def test_parent_and_ancestors():
    assert tx.industry_parent("Computer Games") == "Software Development"
    assert tx.industry_ancestors("Computer Games") == ["Software Development", "Technology, Information and Media"]
    assert tx.industry_parent("Financial Services") is None
    assert tx.industry_ancestors("Financial Services") == []
    assert tx.industry_parent("Computer Software") == "Technology, Information and Media"  # via V1
    assert tx.industry_top_level("Investment Banking") == "Financial Services"
    assert tx.industry_top_level("Financial Services") == "Financial Services"
    assert tx.industry_top_level("nope") is None
    assert tx.industry_ancestors("nope") == []
    assert "Banking" in tx.industry_children("Credit Intermediation")
    desc = tx.industry_descendants("Financial Services")
    assert "Investment Banking" in desc and "Insurance Carriers" in desc
    assert "Software Development" not in desc


@pytest.mark.parametrize(
    "a, b, rel",
    [
        ("Software Development", "software development", "same"),
        ("Computer Software", "Software Development", "same"),
        ("Computer Games", "Software Development", "descendant"),
        ("Mobile Gaming Apps", "Technology, Information and Media", "descendant"),
        ("Financial Services", "Investment Banking", "ancestor"),
        ("Investment Banking", "Investment Management", "sibling"),
        ("Banking", "Software Development", None),
        ("Financial Services", "Manufacturing", None),  # two top-level groups are not siblings
        ("Banking", None, None),
        ("Banking", "made-up", None),
    ],
)
def test_industry_relation(a, b, rel):
    assert tx.industry_relation(a, b) == rel


def test_size_bands_reexported():
    assert tx.SIZE_BANDS is SIZE_BANDS


@pytest.mark.parametrize(
    "start, end, band",
    [
        (0, 1, "1-10"), (2, 10, "1-10"), (11, 50, "11-50"), (51, 200, "51-200"),
        (201, 500, "201-500"), (501, 1000, "501-1000"), (1001, 5000, "1001-5000"),
        (5001, 10000, "5001-10000"), (10001, None, "10001+"), (None, None, None),
    ],
)
def test_size_band_from_range_linkedin_buckets(start, end, band):
    assert tx.size_band_from_range(start, end) == band


@pytest.mark.parametrize(
    "n, band",
    [(0, "1-10"), (1, "1-10"), (10, "1-10"), (11, "11-50"), (200, "51-200"), (201, "201-500"),
     (1000, "501-1000"), (1001, "1001-5000"), (10000, "5001-10000"), (10001, "10001+"),
     (250000, "10001+"), (None, None), (-3, None)],
)
def test_size_band_from_count(n, band):
    assert tx.size_band_from_count(n) == band


@pytest.mark.parametrize(
    "text, band",
    [("51-200", "51-200"), ("51 - 200 employees", "51-200"), ("11–50", "11-50"),
     ("10,001+ employees", "10001+"), ("10k+", "10001+"), ("2-10 employees", "1-10"),
     ("0-1 employees", "1-10"), ("Myself Only", "1-10"), ("350", "201-500"), ("~1.2k", "1001-5000"),
     ("startup", None), ("", None), (None, None)],
)
def test_parse_size_band(text, band):
    assert tx.parse_size_band(text) == band


@pytest.mark.parametrize(
    "name, bands",
    [
        ("startup", ["1-10", "11-50"]),
        ("Startups", ["1-10", "11-50"]),
        ("Scale-up", ["51-200", "201-500"]),
        ("scaleup companies", ["51-200", "201-500"]),
        ("SMB", ["1-10", "11-50", "51-200"]),
        ("small business", ["1-10", "11-50", "51-200"]),
        ("Small businesses", ["1-10", "11-50", "51-200"]),
        ("Mid-Market", ["201-500", "501-1000"]),
        ("enterprise", ["1001-5000", "5001-10000", "10001+"]),
        ("Large Enterprise", ["5001-10000", "10001+"]),
        ("unicorn farm", []),
        ("", []),
    ],
)
def test_named_size_bands(name, bands):
    assert tx.named_size_bands(name) == bands


def test_resolve_size_bands():
    assert tx.resolve_size_bands("51-200") == ["51-200"]
    assert tx.resolve_size_bands("100-1000 employees") == ["51-200", "201-500", "501-1000"]
    assert tx.resolve_size_bands("enterprise") == ["1001-5000", "5001-10000", "10001+"]
    assert tx.resolve_size_bands("10001+") == ["10001+"]
    assert tx.resolve_size_bands("whatever") == []


def test_company_types():
    assert tx.COMPANY_TYPES == ("startup", "scaleup", "mid-market", "enterprise", "agency", "freelance", "unknown")
    assert tx.company_type_from_band("11-50") == "startup"
    assert tx.company_type_from_band("201-500") == "scaleup"
    assert tx.company_type_from_band("501-1000") == "mid-market"
    assert tx.company_type_from_band("10001+") == "enterprise"
    assert tx.company_type_from_band(None) == "unknown"
    assert tx.canonical_company_type("Scale-up") == "scaleup"
    assert tx.canonical_company_type("Mid Market") == "mid-market"
    assert tx.canonical_company_type("freelancer") == "freelance"
    assert tx.canonical_company_type("bakery") is None
